/**
 * Shared by the training commands: finds Debian's PyTorch and prepares (or reuses) the tensors
 * training/prepare-data.ts writes with the runtime's own preprocessing.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT, TSX_BIN } from '../src/node/paths';

export const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** Exits with a clear message when PyTorch cannot be imported. */
export function requireTorch(command: string): void {
  const probe = spawnSync(python, ['-c', 'import torch, numpy'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    console.error(`${command}: PyTorch is not importable by ${python}. On Debian/Ubuntu: sudo apt-get install -y python3-torch python3-numpy`);
    process.exit(2);
  }
}

/** Runs a command with inherited output; exits with its status when it fails. */
export function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: PROJECT_ROOT });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

/**
 * Prepared tensors for a Kaggle-layout folder, cached in training/.cache per source folder and
 * reused while the preprocessing spec (src/core/spec.json) is unchanged. Returns the file prefix.
 */
export function prepare(dir: string, name: string): string {
  const cacheDir = path.join(PROJECT_ROOT, 'training/.cache');
  const key = `${name}-${createHash('sha1').update(dir).digest('hex').slice(0, 10)}`;
  const prefix = path.join(cacheDir, key);
  if (existsSync(`${prefix}.json`)) {
    const meta = JSON.parse(readFileSync(`${prefix}.json`, 'utf8'));
    const spec = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'src/core/spec.json'), 'utf8'));
    if (meta.source === dir && JSON.stringify(meta.spec) === JSON.stringify(spec)) return prefix;
  }
  run(TSX_BIN, [path.join(PROJECT_ROOT, 'training/prepare-data.ts'), '--data', dir, '--out', cacheDir, '--name', key]);
  return prefix;
}

/**
 * Checkpoint files from a comma list, resolved; exits when one is missing. An entry may also be a
 * TensorFlow.js model folder written by the exporter (e.g. public/models/emotion): it is read back
 * into a checkpoint in training/.cache (training/import_tfjs.py), so the shipped model can teach or
 * seed a run on a machine that no longer has the run's own checkpoints.
 */
export function checkpointPaths(command: string, list: string): string[] {
  const files = list.split(',').filter(Boolean).map((p) => path.resolve(p));
  return files.map((file) => {
    if (existsSync(path.join(file, 'model.json'))) return importTfjs(file);
    if (!existsSync(file) || !statSync(file).isFile()) {
      console.error(`${command}: no checkpoint at ${file}`);
      process.exit(2);
    }
    return file;
  });
}

function importTfjs(modelDir: string): string {
  const weights = readFileSync(path.join(modelDir, 'weights.bin'));
  const hash = createHash('sha1').update(readFileSync(path.join(modelDir, 'model.json'))).update(weights).digest('hex').slice(0, 10);
  const out = path.join(PROJECT_ROOT, 'training/.cache', `imported-${hash}.pt`);
  if (!existsSync(out)) {
    mkdirSync(path.dirname(out), { recursive: true });
    run(python, [path.join(PROJECT_ROOT, 'training/import_tfjs.py'), modelDir, out]);
  }
  return out;
}
