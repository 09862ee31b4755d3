import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LABELS } from '../../src/core/labels';
import { PROJECT_ROOT, TSX_BIN } from '../../src/node/paths';
import { ferDir } from '../helpers/fer';
import { ferSubset, torchAvailable } from '../helpers/smoke-model';
import { python } from '../../training/prepared-data';

// The commands run asynchronously: a worker blocked in execFileSync for over 60 s (a training run
// on a busy machine) misses vitest's fixed RPC deadline, and the whole run fails with
// 'Timeout calling "onTaskUpdate"' though every test passed.
const MAX_BUFFER = 256 << 20;
const execFileAsync = promisify(execFile);
/** A command's stdout; rejects, as execFileSync throws, when it fails. */
const runCommand = async (command: string, args: string[], options: { cwd: string; encoding?: 'utf8'; stdio?: 'pipe' }) =>
  (await execFileAsync(command, args, { cwd: options.cwd, encoding: 'utf8', maxBuffer: MAX_BUFFER })).stdout;
/** A command's exit status and output, as spawnSync gives them (never rejects). */
const runCommandStatus = (command: string, args: string[], options: { cwd: string; encoding?: 'utf8' }) =>
  new Promise<{ status: number; stdout: string; stderr: string }>((resolve) =>
    execFile(command, args, { cwd: options.cwd, encoding: 'utf8', maxBuffer: MAX_BUFFER }, (err, stdout, stderr) =>
      resolve({ status: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0, stdout, stderr }),
    ),
  );

const trainDir = ferDir('train');
const testDir = ferDir('test');
if (!torchAvailable) console.warn('\n*** PyTorch (python3-torch) not installed: the training smoke test is SKIPPED. Run scripts/setup.sh. ***\n');

describe.skipIf(!trainDir || !testDir || !torchAvailable)('npm run train on a small subset', () => {
  it('trains (with a warm restart and a distillation stage), exports a tfjs model that eval loads through --model, and resumes', async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'faceml-train-'));
    await ferSubset(trainDir!, 400, path.join(tmp, 'data/train'));
    await ferSubset(testDir!, 140, path.join(tmp, 'data/test'));
    const out = path.join(tmp, 'model');
    const run = path.join(tmp, 'run');
    const kept = path.join(tmp, 'kept');
    const train = () =>
      runCommand(TSX_BIN, ['training/train.ts', '--data', path.join(tmp, 'data/train'), '--epochs', '2', '--restart-epochs', '1', '--distill-epochs', '1', '--soup-members', '0', '--out', out, '--run', run, '--kept', kept], { cwd: PROJECT_ROOT, encoding: 'utf8', stdio: 'pipe' });
    const first = await train();
    expect(first).toMatch(/exported epoch \d/);
    expect(existsSync(path.join(out, 'model.json')) && existsSync(path.join(out, 'weights.bin'))).toBe(true);
    const metadata = JSON.parse(await readFile(path.join(out, 'metadata.json'), 'utf8'));
    expect(metadata.labels).toEqual([...LABELS]);
    expect(metadata.training.epochs).toBe(4);
    const log = (await readFile(path.join(out, 'training-log.jsonl'), 'utf8')).trim().split('\n');
    expect(log).toHaveLength(4);
    expect(log.map((line) => JSON.parse(line).stage)).toEqual(['main', 'main', 'restart', 'distill']);

    // Running the same command again resumes from the checkpoint: no epoch is trained twice.
    const again = await train();
    expect(again).toMatch(/resuming .* at epoch 5\/4/);
    expect((await readFile(path.join(run, 'log.jsonl'), 'utf8')).trim().split('\n')).toHaveLength(4);

    // A run packed for git (keep_run.py) survives the loss of its folder (a new machine): the same
    // command continues from the kept copy instead of starting over.
    await runCommand(python, ['training/keep_run.py', run, path.join(kept, 'run')], { cwd: PROJECT_ROOT, encoding: 'utf8' });
    await rm(run, { recursive: true });
    const onNewMachine = await train();
    expect(onNewMachine).toMatch(/continuing from the kept copy/);
    expect(onNewMachine).toMatch(/resuming .* at epoch 5\/4/);
    expect((await readFile(path.join(run, 'log.jsonl'), 'utf8')).trim().split('\n')).toHaveLength(4);

    const evalOut = await runCommand(TSX_BIN, ['src/cli/eval.ts', '--data', path.join(tmp, 'data/test'), '--model', out, '--json'], { cwd: PROJECT_ROOT, encoding: 'utf8' });
    const report = JSON.parse(evalOut.trim().split('\n').at(-1)!);
    expect(report.n).toBe(140);
    expect(report.accuracy).toBeGreaterThanOrEqual(0);
    expect(report.accuracy).toBeLessThanOrEqual(1);
    expect(Object.keys(report.per_class)).toEqual([...LABELS]);
    expect(report.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(140);

    // A finished run distilled into from its checkpoint, taught by an "ensemble" (here the run's
    // checkpoint and its exported model folder): only the distill stage runs, the student starts
    // where the run ended, and the metadata names the teachers as given with their records.
    const best = path.join(run, 'best.pt');
    const distilled = path.join(tmp, 'distilled');
    const distillOut = await runCommand(TSX_BIN, ['training/train.ts', '--data', path.join(tmp, 'data/train'), '--epochs', '0', '--restart-epochs', '0', '--distill-epochs', '1', '--distill-augment', '0.4', '--soup-members', '0',
      '--init', best, '--teachers', `${best},${out}`, '--out', distilled, '--run', path.join(tmp, 'run-distill')], { cwd: PROJECT_ROOT, encoding: 'utf8', stdio: 'pipe' });
    expect(distillOut).toMatch(/exported epoch 1 /);
    const distilledMeta = JSON.parse(await readFile(path.join(distilled, 'metadata.json'), 'utf8'));
    const bestAsGiven = path.relative(PROJECT_ROOT, best);
    expect(distilledMeta.training.settings.teachers).toBe(`${bestAsGiven},${path.relative(PROJECT_ROOT, out)}`);
    expect(distilledMeta.training.lineage.teachers[1].training.best_epoch).toBe(metadata.training.best_epoch);
    expect(distilledMeta.training.settings.distill_augment).toBe(0.4);
    expect(distilledMeta.training.lineage.init).toEqual([{ source: bestAsGiven }]);
    expect((await readFile(path.join(distilled, 'training-log.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line).stage)).toEqual(['distill']);

    // The ensemble check: a checkpoint averaged with itself scores exactly as it does alone.
    const ensembleOut = await runCommand(TSX_BIN, ['training/ensemble.ts', '--data', path.join(tmp, 'data/test'), best, best], { cwd: PROJECT_ROOT, encoding: 'utf8', stdio: 'pipe' });
    const ensemble = JSON.parse(ensembleOut.trim().split('\n').at(-1)!);
    expect(ensemble.n).toBe(140);
    expect(ensemble.members).toHaveLength(2);
    expect(ensemble.ensemble.plain.accuracy).toBe(ensemble.members[0].accuracy);
    expect(ensemble.ensemble.flip.accuracy).toBe(ensemble.members[0].accuracy_flip);
    expect(Object.keys(ensemble.ensemble.plain.recall)).toEqual([...LABELS]);

    // The exported tfjs model read back into PyTorch (import_tfjs.py: float16 weights, batch-norm
    // unfolded) scores like the checkpoint it was exported from, so it can teach or seed a run.
    const importedOut = await runCommand(TSX_BIN, ['training/ensemble.ts', '--data', path.join(tmp, 'data/test'), best, out], { cwd: PROJECT_ROOT, encoding: 'utf8', stdio: 'pipe' });
    const imported = JSON.parse(importedOut.trim().split('\n').at(-1)!);
    expect(imported.members[1].checkpoint).toMatch(/imported-[0-9a-f]+\.pt$/);
    expect(Math.abs(imported.members[1].accuracy - imported.members[0].accuracy)).toBeLessThanOrEqual(1 / 140 + 1e-9);

    // A missing teacher is reported before any work starts.
    const missing = await runCommandStatus(TSX_BIN, ['training/train.ts', '--data', path.join(tmp, 'data/train'), '--teachers', path.join(tmp, 'nope.pt')], { cwd: PROJECT_ROOT, encoding: 'utf8' });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/no checkpoint at .*nope\.pt/);
  });

  it('ends with a soup stage: fine-tunes of the best epoch, averaged; the better of soup and best epoch is exported', async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'faceml-train-soup-'));
    await ferSubset(trainDir!, 400, path.join(tmp, 'data/train'));
    await ferSubset(testDir!, 140, path.join(tmp, 'data/test'));
    const out = path.join(tmp, 'model');
    const run = path.join(tmp, 'run');
    const train = () =>
      runCommand(TSX_BIN, ['training/train.ts', '--data', path.join(tmp, 'data/train'), '--epochs', '2', '--restart-epochs', '0',
        '--soup-members', '2', '--soup-epochs', '1', '--out', out, '--run', run, '--kept', path.join(tmp, 'kept')],
      { cwd: PROJECT_ROOT, encoding: 'utf8', stdio: 'pipe' });
    await train();
    const log = (await readFile(path.join(out, 'training-log.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line));
    expect(log.map((row) => row.stage)).toEqual(['main', 'main', 'soup member 1', 'soup member 2', 'soup']);
    const soup = log.at(-1);
    expect(soup.members).toBe(2);
    const bestEpoch = Math.max(...log.slice(0, 2).map((row) => row.val_acc));
    expect(soup.start_epoch).toBe(log.findIndex((row) => row.val_acc === bestEpoch) + 1);

    // What ships is the best of every epoch (members included) and the soup, and tfjs scores it
    // as PyTorch did (float16 weights may flip one borderline face).
    const metadata = JSON.parse(await readFile(path.join(out, 'metadata.json'), 'utf8'));
    const bestSeen = Math.max(...log.map((row) => row.val_acc));
    expect(metadata.training.validation_accuracy_pytorch_fp32).toBeCloseTo(bestSeen, 4);
    expect(metadata.training.soup !== undefined).toBe(soup.val_acc === bestSeen && log.slice(0, -1).every((row) => row.val_acc < bestSeen));
    expect(metadata.training.settings.soup_members).toBe(2);
    // One view, as training scores its epochs (the runtime default also averages the mirror image).
    const evalOut = await runCommand(TSX_BIN, ['src/cli/eval.ts', '--data', path.join(tmp, 'data/test'), '--model', out, '--json', '--views', 'asIs'], { cwd: PROJECT_ROOT, encoding: 'utf8' });
    const report = JSON.parse(evalOut.trim().split('\n').at(-1)!);
    expect(Math.abs(report.accuracy - bestSeen)).toBeLessThanOrEqual(1 / 140 + 1e-4);

    // Run again, the finished soup is not averaged or logged a second time.
    expect(await train()).toMatch(/resuming .* at epoch 5\/4/);
    expect((await readFile(path.join(run, 'log.jsonl'), 'utf8')).trim().split('\n')).toHaveLength(5);

    // Asked for more members, a finished soup trains only the new ones and averages all of them
    // (here the new member fine-tunes with sharpness-aware minimisation, which its log row says).
    const more = await runCommand(TSX_BIN, ['training/train.ts', '--data', path.join(tmp, 'data/train'), '--epochs', '2', '--restart-epochs', '0',
      '--soup-members', '3', '--soup-epochs', '1', '--soup-sam', '0.05', '--out', out, '--run', run], { cwd: PROJECT_ROOT, encoding: 'utf8', stdio: 'pipe' });
    expect(more).toMatch(/resuming .* at epoch 5\/5/);
    const longer = (await readFile(path.join(run, 'log.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line));
    expect(longer.slice(5).map((row) => [row.stage, row.members, row.sam])).toEqual([['soup member 3', undefined, 0.05], ['soup', 3, undefined]]);
    expect(JSON.parse(await readFile(path.join(out, 'metadata.json'), 'utf8')).training.settings.soup_sam).toBe(0.05);
  });

  it('trains the depthwise-separable net (--arch sep) distilled throughout from the shipped model folder, and tfjs computes what PyTorch did', async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'faceml-train-sep-'));
    await ferSubset(trainDir!, 400, path.join(tmp, 'data/train'));
    await ferSubset(testDir!, 140, path.join(tmp, 'data/test'));
    const out = path.join(tmp, 'model');
    const run = path.join(tmp, 'run');
    const teacher = 'public/models/emotion';
    const train = () =>
      runCommand(TSX_BIN, ['training/train.ts', '--data', path.join(tmp, 'data/train'), '--arch', 'sep', '--epochs', '2', '--restart-epochs', '0', '--soup-members', '0',
        '--teachers', teacher, '--distill-throughout', '--distill-temperature', '3', '--out', out, '--run', run, '--kept', path.join(tmp, 'kept')],
      { cwd: PROJECT_ROOT, encoding: 'utf8', stdio: 'pipe' });
    const first = await train();
    // The teacher's targets are computed once; a real model agrees with most training labels.
    const agreement = Number(/teachers agree with the labels on ([\d.]+)%/.exec(first)?.[1]);
    expect(agreement).toBeGreaterThan(50);
    const metadata = JSON.parse(await readFile(path.join(out, 'metadata.json'), 'utf8'));
    expect(metadata.training.settings.arch).toBe('sep');
    expect(metadata.training.settings.distill_throughout).toBe(true);
    expect(metadata.training.lineage.teachers[0].source).toBe(teacher);
    const topology = JSON.parse(await readFile(path.join(out, 'model.json'), 'utf8')).modelTopology.config.layers;
    expect(topology.filter((l: { class_name: string }) => l.class_name === 'SeparableConv2D')).toHaveLength(7);
    expect((await readFile(path.join(out, 'weights.bin'))).length).toBeLessThanOrEqual(3 * 1024 * 1024);

    // tfjs (eval CLI, wasm) scores the exported net as PyTorch scored its best epoch on the same
    // images (float16 weights may flip at most one borderline face).
    // One view, as training scores its epochs (the runtime default also averages the mirror image).
    const evalOut = await runCommand(TSX_BIN, ['src/cli/eval.ts', '--data', path.join(tmp, 'data/test'), '--model', out, '--json', '--views', 'asIs'], { cwd: PROJECT_ROOT, encoding: 'utf8' });
    const report = JSON.parse(evalOut.trim().split('\n').at(-1)!);
    expect(Math.abs(report.accuracy - metadata.training.validation_accuracy_pytorch_fp32)).toBeLessThanOrEqual(1 / 140 + 1e-4);

    // Read back into PyTorch, it scores like its checkpoint, so it can teach or seed later runs.
    const importedOut = await runCommand(TSX_BIN, ['training/ensemble.ts', '--data', path.join(tmp, 'data/test'), path.join(run, 'best.pt'), out], { cwd: PROJECT_ROOT, encoding: 'utf8', stdio: 'pipe' });
    const imported = JSON.parse(importedOut.trim().split('\n').at(-1)!);
    expect(Math.abs(imported.members[1].accuracy - imported.members[0].accuracy)).toBeLessThanOrEqual(1 / 140 + 1e-9);

    // Resuming reuses the cached targets, and a run cannot change shape half-way.
    const again = await train();
    expect(again).toMatch(/resuming .* at epoch 3\/2/);
    expect(again).not.toMatch(/teacher targets for/);
    const wrongArch = await runCommandStatus(TSX_BIN, ['training/train.ts', '--data', path.join(tmp, 'data/train'), '--epochs', '2', '--restart-epochs', '0', '--soup-members', '0', '--out', out, '--run', run],
      { cwd: PROJECT_ROOT, encoding: 'utf8' });
    expect(wrongArch.status).not.toBe(0);
    expect(wrongArch.stderr).toMatch(/is a 'sep' run; pass --arch sep/);
  });
  it('gives the same run for the same seed, through every stage (main, restart, distill, soup with SAM), and another run for another seed', async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'faceml-train-seed-'));
    await ferSubset(trainDir!, 400, path.join(tmp, 'data/train'));
    await ferSubset(testDir!, 140, path.join(tmp, 'data/test'));
    const train = async (name: string, seed: string) => {
      await runCommand(TSX_BIN, ['training/train.ts', '--data', path.join(tmp, 'data/train'), '--epochs', '1', '--restart-epochs', '1', '--distill-epochs', '1',
        '--soup-members', '2', '--soup-epochs', '1', '--soup-sam', '0.05', '--seed', seed, '--out', path.join(tmp, name), '--run', path.join(tmp, `run-${name}`), '--kept', path.join(tmp, 'kept')],
      { cwd: PROJECT_ROOT, encoding: 'utf8', stdio: 'pipe' });
      return {
        // Everything an epoch logs but its wall-clock time.
        log: readFileSync(path.join(tmp, name, 'training-log.jsonl'), 'utf8').trim().split('\n').map((line) => ({ ...JSON.parse(line), epoch_seconds: undefined })),
        weights: readFileSync(path.join(tmp, name, 'weights.bin')),
      };
    };
    const first = await train('a', '5');
    expect(first.log.map((row) => row.stage)).toEqual(['main', 'restart', 'distill', 'soup member 1', 'soup member 2', 'soup']);
    const second = await train('b', '5');
    expect(second.log).toEqual(first.log);
    expect(second.weights.equals(first.weights)).toBe(true);
    const other = await train('c', '6');
    expect(other.weights.equals(first.weights)).toBe(false);
  });
  it('prunes a wider --init (vgg) to --arch slim before fine-tuning it, and tfjs computes what PyTorch did', async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'faceml-train-prune-'));
    await ferSubset(trainDir!, 400, path.join(tmp, 'data/train'));
    await ferSubset(testDir!, 140, path.join(tmp, 'data/test'));
    const out = path.join(tmp, 'model');
    const init = 'public/models/emotion';
    const trainOut = await runCommand(TSX_BIN, ['training/train.ts', '--data', path.join(tmp, 'data/train'), '--arch', 'slim', '--init', init,
      '--epochs', '0', '--restart-epochs', '1', '--restart-lr', '0.002', '--soup-members', '0', '--out', out, '--run', path.join(tmp, 'run'), '--kept', path.join(tmp, 'kept')],
    { cwd: PROJECT_ROOT, encoding: 'utf8', stdio: 'pipe' });
    expect(trainOut).toMatch(/--init is a 'vgg' net \([\d.]+ on validation\): pruned to 'slim' \([\d.]+\) in \d+ s/);
    const metadata = JSON.parse(await readFile(path.join(out, 'metadata.json'), 'utf8'));
    expect(metadata.training.settings.arch).toBe('slim');
    expect(metadata.training.lineage.init[0].source).toBe(init);
    const topology = JSON.parse(await readFile(path.join(out, 'model.json'), 'utf8')).modelTopology.config.layers;
    expect(topology.filter((l: { class_name: string }) => l.class_name === 'Conv2D').map((l: { config: { filters: number } }) => l.config.filters))
      .toEqual([16, 16, 32, 32, 64, 64, 128, 128]);
    // One epoch on 400 faces teaches a fresh net next to nothing (about chance, 1 in 7 to 1 in 4);
    // the pruned net keeps most of what the wide one knew.
    const evalOut = await runCommand(TSX_BIN, ['src/cli/eval.ts', '--data', path.join(tmp, 'data/test'), '--model', out, '--json', '--views', 'asIs'], { cwd: PROJECT_ROOT, encoding: 'utf8' });
    const report = JSON.parse(evalOut.trim().split('\n').at(-1)!);
    console.log(`pruned vgg -> slim after one epoch on 400 faces: ${(report.accuracy * 100).toFixed(1)}% of 140 test faces`);
    expect(report.accuracy).toBeGreaterThan(0.45);
    expect(Math.abs(report.accuracy - metadata.training.validation_accuracy_pytorch_fp32)).toBeLessThanOrEqual(1 / 140 + 1e-4);

    // A narrower net cannot grow into a wider one.
    const wider = await runCommandStatus(TSX_BIN, ['training/train.ts', '--data', path.join(tmp, 'data/train'), '--init', out,
      '--epochs', '1', '--restart-epochs', '0', '--soup-members', '0', '--out', path.join(tmp, 'model-wide'), '--run', path.join(tmp, 'run-wide')], { cwd: PROJECT_ROOT, encoding: 'utf8' });
    expect(wider.status).not.toBe(0);
    expect(wider.stderr).toMatch(/--init is a 'slim' net; it can start a run of that arch or be pruned to a narrower plain one, not 'vgg'/);
  });
});
