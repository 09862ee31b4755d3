import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT, TSX_BIN } from '../../src/node/paths';
import { ferDir, ferSample } from './fer';

export const torchAvailable = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

/** Copies a class-stratified sample of a FER split into a Kaggle-layout folder. */
export async function ferSubset(from: string, n: number, to: string): Promise<void> {
  for (const item of await ferSample(from, n)) {
    await mkdir(path.join(to, item.label), { recursive: true });
    await copyFile(item.file, path.join(to, item.label, path.basename(item.file)));
  }
}

/**
 * A model exported by a short real `npm run train` (400 FER images, one epoch): what a user who
 * trains their own model gets. Trained once per version of the training code and shared by the
 * test files that need it (a lock directory keeps parallel test workers from training twice).
 * Null when FER-2013 or PyTorch is missing.
 */
export async function smokeModel(): Promise<string | null> {
  const trainDir = ferDir('train');
  const testDir = ferDir('test');
  if (!trainDir || !testDir || !torchAvailable) return null;
  const hash = createHash('sha1');
  for (const f of ['training/train.py', 'training/model.py', 'training/export_tfjs.py', 'src/core/spec.json']) hash.update(await readFile(path.join(PROJECT_ROOT, f)));
  const out = path.join(os.tmpdir(), `faceml-smoke-model-${hash.digest('hex').slice(0, 10)}`);
  const lock = `${out}.lock`;
  const deadline = Date.now() + 15 * 60_000;
  while (!existsSync(path.join(out, 'model.json'))) {
    try {
      await mkdir(lock);
    } catch {
      if (Date.now() > deadline) throw new Error(`timed out waiting for another worker to train ${out}`);
      await new Promise((r) => setTimeout(r, 1000));
      continue;
    }
    try {
      const tmp = await mkdtemp(path.join(os.tmpdir(), 'faceml-smoke-train-'));
      await ferSubset(trainDir, 400, path.join(tmp, 'data/train'));
      await ferSubset(testDir, 140, path.join(tmp, 'data/test'));
      const model = path.join(tmp, 'model');
      // Asynchronously: a worker blocked over 60 s (training on a busy machine) misses vitest's
      // fixed RPC deadline and fails the whole run.
      await promisify(execFile)(TSX_BIN, ['training/train.ts', '--data', path.join(tmp, 'data/train'), '--epochs', '1', '--restart-epochs', '0', '--soup-members', '0', '--out', model, '--run', path.join(tmp, 'run')], {
        cwd: PROJECT_ROOT,
        maxBuffer: 64 << 20,
      });
      await rename(model, out);
      await rm(tmp, { recursive: true, force: true });
    } finally {
      await rm(lock, { recursive: true, force: true });
    }
  }
  return out;
}
