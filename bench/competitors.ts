import { execFileSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { Emotion } from '../src/core/labels';
import type { DatasetItem } from '../src/node/dataset';
import { PROJECT_ROOT, TSX_BIN } from '../src/node/paths';
import { composeScene } from '../src/node/synthetic';
import type { Job } from './competitors/worker';
import { grid } from './core';
import { round, table } from './stats';

export interface CompetitorResult {
  lib: string;
  load_ms: number;
  frames: { file: string; faces_found: number; ms_p50: number; ms_p95: number }[];
  crop: { n: number; accuracy: number } | null;
  detect: { n: number; found: number; accuracy: number; accuracy_found: number };
}

const LIBS: Job['lib'][] = ['faceml', 'faceml-haar', 'face-api', 'human'];
const NAMES: Record<Job['lib'], string> = {
  faceml: 'FaceML (BlazeFace + own CNN)',
  'faceml-haar': 'FaceML (Haar + own CNN)',
  'face-api': 'face-api (TinyFaceDetector + expression net)',
  human: 'Human (BlazeFace + emotion)',
};

/**
 * FaceML next to @vladmandic/face-api and @vladmandic/human, each in its own Node process on
 * tfjs-wasm (one thread), on the same 640x480 frames (speed) and the same FER-2013 test images
 * (accuracy: the crop as is, and scaled up to 160 px on a background for detection first).
 */
export async function benchCompetitors(frameFaces: DatasetItem[], accuracyItems: DatasetItem[], runs: number): Promise<{ figures: CompetitorResult[]; text: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'faceml-bench-vs-'));
  const frames: string[] = [];
  for (const n of [1, 4, 9]) {
    const scene = await composeScene(640, 480, grid(frameFaces, n), n);
    const file = path.join(dir, `frame${n}.png`);
    await writeFile(file, await sharp(scene.jpeg).png().toBuffer());
    frames.push(file);
  }
  const scenes: Job['scenes'] = [];
  for (const [i, item] of accuracyItems.entries()) {
    const scene = await composeScene(320, 320, [{ file: item.file, x: 80, y: 70, size: 160 }], 1000 + i);
    const file = path.join(dir, `scene${i}.png`);
    await writeFile(file, await sharp(scene.jpeg).png().toBuffer());
    scenes.push({ file, label: item.label as Emotion });
  }
  const crops = accuracyItems.map((i) => ({ file: i.file, label: i.label as Emotion }));
  const figures: CompetitorResult[] = [];
  for (const lib of LIBS) {
    const jobFile = path.join(dir, `${lib}.json`);
    await writeFile(jobFile, JSON.stringify({ lib, frames, runs, crops, scenes } satisfies Job));
    try {
      const out = execFileSync(TSX_BIN, [path.join(PROJECT_ROOT, 'bench/competitors/worker.ts'), jobFile], { cwd: PROJECT_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 26 });
      figures.push(JSON.parse(out.trim().split('\n').at(-1)!));
    } catch (err) {
      console.error(`${lib}: failed: ${(err as { stderr?: string }).stderr?.slice(-500) ?? err}`);
    }
  }
  const fmt = (v: number | undefined) => (v === undefined ? '-' : `${round(v, 1)} ms`);
  const pctText = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : `${round(v * 100, 1)}%`);
  const n = accuracyItems.length;
  const text = [
    `Side by side (same frames, same ${n} FER-2013 PublicTest images; each library in its own process, tfjs-wasm, one thread)`,
    table(
      ['library', 'load', '1 face: ms p50/p95 (found)', '4 faces', '9 faces', 'accuracy on crops', 'detected (160 px)', 'accuracy after detection'],
      figures.map((f) => [
        NAMES[f.lib as Job['lib']] ?? f.lib,
        `${round(f.load_ms / 1000, 1)} s`,
        ...f.frames.map((fr) => `${fmt(fr.ms_p50)}/${fmt(fr.ms_p95)} (${fr.faces_found})`),
        pctText(f.crop?.accuracy),
        pctText(f.detect.found / f.detect.n),
        pctText(f.detect.accuracy),
      ]),
    ),
    'Accuracy after detection counts a missed face as wrong. Human has no per-crop emotion call, so it is measured with detection only.',
  ].join('\n');
  return { figures, text };
}
