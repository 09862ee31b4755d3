import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { tf, wasmThreadsInUse } from '../../src/core/tf-backend';
import { PROJECT_ROOT, TSX_BIN } from '../../src/node/paths';
import { createNodePipeline } from '../../src/node/pipeline';
import { wasmThreadCount } from '../../src/node/wasm-threads';
import { ferDir } from '../helpers/fer';

const testDir = ferDir('test');
const evalCli = (threads: string | undefined) =>
  spawnSync(TSX_BIN, ['src/cli/eval.ts', '--data', testDir!, '--limit', '140'], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    env: { ...process.env, FACEML_WASM_THREADS: threads },
  });

describe('tfjs-wasm threads in Node', () => {
  it('FACEML_WASM_THREADS picks the count; bad values are refused by name', () => {
    expect(wasmThreadCount({})).toBe(Math.min(os.availableParallelism(), 8));
    expect(wasmThreadCount({ FACEML_WASM_THREADS: '1' })).toBe(1);
    expect(wasmThreadCount({ FACEML_WASM_THREADS: '64' })).toBe(8);
    for (const bad of ['0', '-2', '1.5', 'two']) expect(() => wasmThreadCount({ FACEML_WASM_THREADS: bad })).toThrow(/FACEML_WASM_THREADS/);
  });

  it('the Node pipeline computes on one thread per core (at most 8)', async () => {
    const pipeline = await createNodePipeline();
    console.log(`tfjs-wasm threads in use: ${wasmThreadsInUse()} on ${os.availableParallelism()} cores`);
    expect(wasmThreadsInUse()).toBe(Math.min(os.availableParallelism(), 8));
    // Only the workers that run the pool's threads are kept (tfjs preloads 8, ~18 MB each).
    const pthreads = (tf.backend() as unknown as { wasm: { PThread?: { runningWorkers: unknown[]; unusedWorkers: unknown[] } } }).wasm.PThread;
    if (wasmThreadsInUse() > 1) expect([pthreads?.runningWorkers.length, pthreads?.unusedWorkers.length]).toEqual([wasmThreadsInUse() - 1, 0]);
    // And it still classifies: a mid-grey face gives seven scores summing to 1.
    const [scores] = await pipeline.classifier.classify(new Float32Array(48 * 48).fill(0.5), 1);
    expect(scores.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
  });

  it('a script that builds the pipeline and returns ends by itself (the pool does not hold it)', () => {
    const r = spawnSync(TSX_BIN, ['test/helpers/classify-and-return.ts'], { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.signal, 'still running after 60 s: killed').toBeNull();
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(out.threads).toBe(Math.min(os.availableParallelism(), 8));
    expect(out.sum).toBeCloseTo(1, 4);
  });

  it.skipIf(!testDir)('the threaded and single-threaded builds give the same results on 140 FER-2013 faces', () => {
    const one = evalCli('1');
    const all = evalCli(undefined);
    expect(one.status, one.stderr).toBe(0);
    expect(all.status, all.stderr).toBe(0);
    expect(one.stdout).toMatch(/tfjs-wasm, 1 thread\b/);
    const threads = Math.min(os.availableParallelism(), 8);
    expect(all.stdout).toMatch(new RegExp(`tfjs-wasm, ${threads} threads?\\b`));
    // Everything but the timing and the thread count must match: accuracy, recalls, confusion matrix.
    const results = (out: string) =>
      out.split('\n').filter((l) => !/tfjs-wasm/.test(l)).map((l) => l.replace(/[\d.]+ ms per face/, 'ms per face')).join('\n');
    expect(results(one.stdout)).toMatch(/accuracy [\d.]+% on 140 images[\s\S]*confusion/);
    expect(results(all.stdout)).toBe(results(one.stdout));
  });
});
