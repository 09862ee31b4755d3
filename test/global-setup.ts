import { execFileSync } from 'node:child_process';
import path from 'node:path';

/** Builds the extension (Chrome and Firefox) once so the browser tests load what the sources say now. */
export default function setup(): void {
  if (process.env.FACEML_SKIP_BUILD) return;
  const root = path.resolve(import.meta.dirname, '..');
  const wxt = path.join(root, 'node_modules/.bin/wxt');
  execFileSync(wxt, ['build'], { cwd: root, stdio: 'pipe' });
  execFileSync(wxt, ['build', '-b', 'firefox'], { cwd: root, stdio: 'pipe' });
}
