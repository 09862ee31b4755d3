/**
 * npm run train -- --data <dir> [--val <dir>] [--epochs N] [--restart-epochs N,N] [--restart-lr X,X]
 *                  [--restart-augment S,S] [--distill-epochs N]
 *                  [--out public/models/emotion] [--run training/runs/emotion] [--max-train N] [--threads N]
 *
 * Reproduces the shipped model from a Kaggle-layout FER folder:
 *  1. prepares train/validation tensors with the runtime's own preprocessing (prepare-data.ts),
 *     cached in training/.cache;
 *  2. trains with PyTorch (training/train.py; Debian: apt-get install -y python3-torch
 *     python3-numpy), checkpointing every epoch in --run: rerun the same command to resume;
 *     A last stage (--distill-epochs) distils the run's own weights with flip test-time
 *     augmentation into the same net, so the runtime gets most of the flip gain in one pass;
 *  3. exports the best epoch as a TensorFlow.js model with metadata.json and the run's log.
 * --val defaults to the `test` folder beside --data (Kaggle layout).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT, TSX_BIN } from '../src/node/paths';

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    val: { type: 'string' },
    epochs: { type: 'string', default: '60' },
    // The shipped model: 60 epochs of cosine schedule, then warm restarts (one per comma-separated
    // entry) with lighter augmentation: the net underfits at full augmentation strength.
    'restart-epochs': { type: 'string', default: '20,30' },
    'restart-lr': { type: 'string', default: '0.01,0.008' },
    'restart-augment': { type: 'string', default: '0.5,0.3' },
    // Flip averaging gains ~1 point but doubles the per-face cost, over the 5 ms budget: distil it instead.
    'distill-epochs': { type: 'string', default: '20' },
    out: { type: 'string', default: 'public/models/emotion' },
    run: { type: 'string', default: 'training/runs/emotion' },
    'max-train': { type: 'string', default: '0' },
    threads: { type: 'string' },
    // Another seed gives another ensemble member (e.g. teachers for distillation).
    seed: { type: 'string' },
  },
});
if (!values.data) {
  console.error('usage: npm run train -- --data <dir> [--val <dir>] [--epochs N] [--out <dir>] [--run <dir>]');
  process.exit(2);
}
const dataDir = path.resolve(values.data);
const valDir = path.resolve(values.val ?? path.join(path.dirname(dataDir), 'test'));
if (!existsSync(valDir)) {
  console.error(`train: no validation folder at ${valDir}; pass --val <dir>`);
  process.exit(2);
}

const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const probe = spawnSync(python, ['-c', 'import torch, numpy'], { encoding: 'utf8' });
if (probe.status !== 0) {
  console.error(`train: PyTorch is not importable by ${python}. On Debian/Ubuntu: sudo apt-get install -y python3-torch python3-numpy`);
  process.exit(2);
}

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: PROJECT_ROOT });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

/** Prepared tensors are cached per source folder; reused when the image count still matches. */
function prepare(dir: string, name: string): string {
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

const trainPrefix = prepare(dataDir, 'train');
const valPrefix = prepare(valDir, 'val');
const args = [
  path.join(PROJECT_ROOT, 'training/train.py'),
  '--train', trainPrefix, '--val', valPrefix,
  '--run', path.resolve(values.run), '--out', path.resolve(values.out),
  '--epochs', values.epochs, '--max-train', values['max-train'],
  '--restart-epochs', values['restart-epochs'], '--restart-lr', values['restart-lr'],
  '--restart-augment', values['restart-augment'],
  '--distill-epochs', values['distill-epochs'],
];
if (values.threads) args.push('--threads', values.threads);
if (values.seed) args.push('--seed', values.seed);
run(python, args);
