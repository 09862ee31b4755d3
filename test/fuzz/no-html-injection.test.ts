import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/node/paths';

/** Every source file of the extension and UI (content scripts run on pages with Trusted Types). */
async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sources(p)));
    else if (/\.(ts|tsx)$/.test(entry.name)) out.push(p);
  }
  return out;
}

describe('no HTML injection sinks', () => {
  it('extension and UI code never builds HTML from strings', async () => {
    const files = [...(await sources(path.join(PROJECT_ROOT, 'src'))), ...(await sources(path.join(PROJECT_ROOT, 'entrypoints')))];
    expect(files.length).toBeGreaterThan(30);
    const sinks = /\.innerHTML\s*=|\.outerHTML\s*=|insertAdjacentHTML|document\.write\(|dangerouslySetInnerHTML|createContextualFragment/;
    const offenders: string[] = [];
    for (const f of files) {
      const text = await readFile(f, 'utf8');
      text.split('\n').forEach((line, i) => {
        if (sinks.test(line)) offenders.push(`${path.relative(PROJECT_ROOT, f)}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(offenders).toEqual([]);
  });
});
