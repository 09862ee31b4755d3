/**
 * npm run ensemble -- --data <dir> <run>/best.pt [<run>/best.pt ...]
 *
 * PublicTest (or any Kaggle-layout folder) accuracy of training checkpoints alone, averaged, and
 * with flip averaging, measured in PyTorch on the runtime's own preprocessing. Tells whether an
 * ensemble of runs is worth distilling into the shipped net (npm run train -- --teachers ...).
 * The last stdout line is one JSON object.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../src/node/paths';
import { checkpointPaths, prepare, python, requireTorch, run } from './prepared-data';

const { values, positionals } = parseArgs({ options: { data: { type: 'string' } }, allowPositionals: true });
if (!values.data || positionals.length === 0) {
  console.error('usage: npm run ensemble -- --data <dir> <checkpoint.pt> [<checkpoint.pt> ...]');
  process.exit(2);
}
const dataDir = path.resolve(values.data);
if (!existsSync(dataDir)) {
  console.error(`ensemble: no folder at ${dataDir}`);
  process.exit(2);
}
requireTorch('ensemble');
const checkpoints = checkpointPaths('ensemble', positionals.join(','));
run(python, [path.join(PROJECT_ROOT, 'training/ensemble.py'), '--val', prepare(dataDir, 'val'), ...checkpoints]);
