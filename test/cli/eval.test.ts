import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LABELS } from '../../src/core/labels';
import { PROJECT_ROOT, TSX_BIN } from '../../src/node/paths';
import { ferDir } from '../helpers/fer';

/** The eval CLI's exit status and output, run asynchronously (a worker blocked over 60 s misses vitest's RPC deadline). */
const evalCli = (...args: string[]) =>
  new Promise<{ status: number; stdout: string; stderr: string }>((resolve) =>
    execFile(TSX_BIN, ['src/cli/eval.ts', ...args], { cwd: PROJECT_ROOT, encoding: 'utf8', maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
      resolve({ status: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0, stdout, stderr }),
    ),
  );
const testDir = ferDir('test');

describe('npm run eval', () => {
  it.skipIf(!testDir)('--json prints the contract object as the last stdout line', async () => {
    const r = await evalCli('--data', testDir!, '--json', '--limit', '70');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(Object.keys(report).sort()).toEqual(['accuracy', 'confusion', 'ms_per_face', 'n', 'per_class']);
    expect(report.n).toBe(70);
    expect(Object.keys(report.per_class)).toEqual([...LABELS]);
    expect(report.confusion).toHaveLength(7);
    expect(report.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(70);
    expect(report.ms_per_face).toBeGreaterThan(0);
  });

  it.skipIf(!testDir)('--video-frames classifies each image as a still video through the tracker (frame 1: one view, as is)', async () => {
    const last = (r: Awaited<ReturnType<typeof evalCli>>) => {
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    };
    const oneView = last(await evalCli('--data', testDir!, '--json', '--limit', '70', '--views', 'asIs'));
    const firstFrame = last(await evalCli('--data', testDir!, '--json', '--limit', '70', '--video-frames', '1'));
    const fourFrames = last(await evalCli('--data', testDir!, '--json', '--limit', '70', '--video-frames', '4'));
    expect(firstFrame.confusion).toEqual(oneView.confusion);
    expect(fourFrames.n).toBe(70);
    expect(fourFrames.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(70);
  });

  it.skipIf(!testDir)('--detect also reports how many faces the cascade found', async () => {
    const r = await evalCli('--data', testDir!, '--json', '--detect', '--limit', '35');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(report.faces_found).toBeGreaterThan(0);
    expect(report.faces_found).toBeLessThanOrEqual(35);
    expect(report.detection_rate).toBeCloseTo(report.faces_found / 35, 3);
  });

  it('fails clearly on a missing, empty, wrongly laid out folder or an unreadable image', async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'faceml-eval-'));
    const missing = await evalCli('--data', path.join(tmp, 'nope'));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/not found/);

    await mkdir(path.join(tmp, 'empty'));
    const empty = await evalCli('--data', path.join(tmp, 'empty'));
    expect(empty.status).toBe(1);
    expect(empty.stderr).toMatch(/no images found/);

    await mkdir(path.join(tmp, 'odd/joyful'), { recursive: true });
    const unknown = await evalCli('--data', path.join(tmp, 'odd'));
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/unknown class folder.*joyful/);

    await mkdir(path.join(tmp, 'bad/happy'), { recursive: true });
    await writeFile(path.join(tmp, 'bad/happy/broken.jpg'), 'this is not a jpeg');
    const unreadable = await evalCli('--data', path.join(tmp, 'bad'));
    expect(unreadable.status).toBe(1);
    expect(unreadable.stderr).toMatch(/unreadable image .*broken\.jpg/);

    const badViews = await evalCli('--data', path.join(tmp, 'bad'), '--views', 'sideways');
    expect(badViews.status).toBe(1);
    expect(badViews.stderr).toMatch(/--views must be one of both, asIs, mirrored, got sideways/);

    const badFrames = await evalCli('--data', path.join(tmp, 'bad'), '--video-frames', '0');
    expect(badFrames.status).toBe(1);
    expect(badFrames.stderr).toMatch(/--video-frames must be a positive integer, got 0/);

    const noArgs = await evalCli();
    expect(noArgs.status).toBe(2);
    expect(noArgs.stderr).toMatch(/usage/);
  });
});
