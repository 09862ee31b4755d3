import { mkdtemp, mkdir, copyFile, readFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import spec from '../../src/core/spec.json';
import { LABELS, scoresFromVector, topEmotion } from '../../src/core/labels';
import { toGray } from '../../src/core/image';
import { cropToInput, faceRegionForBox, INPUT_SIZE } from '../../src/core/preprocess';
import { decodeImage } from '../../src/node/decode';
import { listDataset } from '../../src/node/dataset';
import { PROJECT_ROOT, TSX_BIN } from '../../src/node/paths';
import { ferDir } from '../helpers/fer';

describe('labels: one source of truth', () => {
  it('uses the FER-2013 class order from spec.json', () => {
    expect(LABELS).toEqual(['angry', 'disgust', 'fear', 'happy', 'neutral', 'sad', 'surprise']);
    expect(LABELS).toEqual(spec.labels);
  });

  it('maps score vectors to names and picks the top one', () => {
    const scores = scoresFromVector([0.05, 0.05, 0.1, 0.5, 0.1, 0.1, 0.1]);
    expect(scores.happy).toBe(0.5);
    expect(topEmotion(scores)).toEqual({ emotion: 'happy', confidence: 0.5 });
    expect(() => scoresFromVector([1, 2, 3])).toThrow(/expected 7 scores/);
  });

  it('the trainer takes its label order from the prepared data, not from its own list', async () => {
    const train = await readFile(path.join(PROJECT_ROOT, 'training/train.py'), 'utf8');
    expect(train).toMatch(/labels = (self\.)?meta_tr\["labels"\]/);
    expect(train).not.toMatch(/"angry"/);
  });
});

describe('classifier input preprocessing', () => {
  const gray = (w: number, h: number, f: (x: number, y: number) => number) => ({
    width: w,
    height: h,
    data: Uint8Array.from({ length: w * h }, (_, i) => f(i % w, Math.floor(i / w))),
  });

  it('a 48x48 face crop maps pixel for pixel, scaled to [0, 1]', () => {
    const img = gray(48, 48, (x, y) => (x * 5 + y * 3) % 256);
    const out = cropToInput(img, { x: 0, y: 0, width: 48, height: 48 });
    expect(out.length).toBe(INPUT_SIZE * INPUT_SIZE);
    for (let i = 0; i < out.length; i++) expect(out[i]).toBeCloseTo(img.data[i] / 255, 6);
  });

  it('downscaling averages the covered area (2x2 blocks -> their mean)', () => {
    const img = gray(96, 96, (x, y) => ((x + y) % 2 ? 200 : 100));
    const out = cropToInput(img, { x: 0, y: 0, width: 96, height: 96 });
    for (const v of out) expect(v).toBeCloseTo(150 / 255, 6);
  });

  it('upscaling interpolates and edges are replicated outside the image', () => {
    const img = gray(24, 24, () => 80);
    const out = cropToInput(img, { x: -10, y: -10, width: 44, height: 44 });
    for (const v of out) expect(v).toBeCloseTo(80 / 255, 6);
  });

  it('grayscale uses the BT.601 weights from spec.json', () => {
    const rgba = { width: 2, height: 1, data: Uint8Array.from([255, 0, 0, 255, 0, 0, 255, 255]) };
    expect(Array.from(toGray(rgba).data)).toEqual([Math.round(255 * 0.299), Math.round(255 * 0.114)]);
  });

  it('detector boxes are re-framed as spec.faceCrop says', () => {
    const r = faceRegionForBox({ x: 100, y: 100, width: 50, height: 50 });
    expect(r.width).toBeCloseTo(50 * spec.faceCrop.scale);
    expect(r.x + r.width / 2).toBeCloseTo(125);
  });

  it('training data is prepared by the same function the runtime uses', async () => {
    const dir = ferDir('test');
    if (!dir) return;
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'faceml-prep-'));
    const items = (await listDataset(dir)).filter((_, i) => i % 600 === 0);
    for (const item of items) {
      await mkdir(path.join(tmp, 'data', item.label), { recursive: true });
      await copyFile(item.file, path.join(tmp, 'data', item.label, path.basename(item.file)));
    }
    execFileSync(TSX_BIN, [path.join(PROJECT_ROOT, 'training/prepare-data.ts'), '--data', path.join(tmp, 'data'), '--out', tmp, '--name', 'x'], { cwd: PROJECT_ROOT, stdio: 'pipe' });
    const prepared = new Float32Array((await readFile(path.join(tmp, 'x.x.f32'))).buffer.slice(0));
    const labels = await readFile(path.join(tmp, 'x.y.u8'));
    const listed = await listDataset(path.join(tmp, 'data'));
    const plane = INPUT_SIZE * INPUT_SIZE;
    for (const [i, item] of listed.entries()) {
      const g = toGray(await decodeImage(await readFile(item.file)));
      const expected = cropToInput(g, { x: 0, y: 0, width: g.width, height: g.height });
      expect(Array.from(prepared.subarray(i * plane, (i + 1) * plane))).toEqual(Array.from(expected));
      expect(labels[i]).toBe(LABELS.indexOf(item.label));
    }
  });
});
