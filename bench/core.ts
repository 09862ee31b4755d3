import type { FaceViews } from '../src/core/classifier';
import { INPUT_SIZE } from '../src/core/preprocess';
import type { EmotionPipeline } from '../src/core/pipeline';
import type { DatasetItem } from '../src/node/dataset';
import { centreInside, composeScene } from '../src/node/synthetic';
import { threadsText, wasmThreadsInUse } from '../src/core/tf-backend';
import { percentile, round, table, timeRuns } from './stats';

export interface CoreFigures {
  classifier: { views: FaceViews; batch: number; ms_per_face_median: number; ms_per_face_p95: number }[];
  frames: { detector: string; faces: number; found: number; false_boxes: number; detect_ms_median: number; detect_ms_p95: number; pipeline_ms_median: number; pipeline_ms_p95: number }[];
}

/** Lays out n faces on a grid in a 640x480 frame (1 -> one large face, 9 -> 3x3 of ~120 px). */
export function grid(faces: DatasetItem[], n: number) {
  const cols = Math.ceil(Math.sqrt(n));
  const rows = Math.ceil(n / cols);
  const size = Math.floor(Math.min(560 / cols, 420 / rows) * 0.85);
  return Array.from({ length: n }, (_, i) => ({
    file: faces[i % faces.length].file,
    x: 40 + (i % cols) * (560 / cols) + (560 / cols - size) / 2,
    y: 30 + Math.floor(i / cols) * (420 / rows) + (420 / rows - size) / 2,
    size,
  }));
}

/**
 * The classifier's speed, then each pipeline (one per face detector, same classifier) on the same
 * 640x480 frames: faces found (a box centred on a placed face), false boxes, detection and
 * whole-pipeline time.
 */
export async function benchCore(pipelines: EmotionPipeline[], faces: DatasetItem[] | null, runs: number): Promise<{ figures: CoreFigures; text: string }> {
  const plane = INPUT_SIZE * INPUT_SIZE;
  const [pipeline] = pipelines;
  const classifier: CoreFigures['classifier'] = [];
  // 'both' (each face and its mirror image): still images, the REST server without a stream.
  // 'asIs': tracked video frames, one view per face per frame (frames alternate the views).
  for (const views of ['both', 'asIs'] as const) {
    for (const batch of [1, 8]) {
      const inputs = new Float32Array(batch * plane).map((_, i) => ((i * 2654435761) % 255) / 255);
      const times = await timeRuns(() => pipeline.classifier.classify(inputs, batch, views), batch === 1 ? runs * 2 : runs, 10);
      classifier.push({ views, batch, ms_per_face_median: round(percentile(times, 50) / batch, 3), ms_per_face_p95: round(percentile(times, 95) / batch, 3) });
    }
  }
  const frames: CoreFigures['frames'] = [];
  if (faces) {
    const scenes = await Promise.all([1, 4, 9].map((n) => composeScene(640, 480, grid(faces, n), n)));
    // BlazeFace twice: with its default tiles (finds faces down to ~70 px here) and on the whole
    // frame only (one inference: faces from ~110 px), the cost of each choice side by side.
    const configs = pipelines.flatMap((p) => (p.detector.name === 'blazeface' ? [{ p, label: 'blazeface', options: {} }, { p, label: 'blazeface, no tiles', options: { tileSide: 0 } }] : [{ p, label: p.detector.name, options: {} }]));
    for (const { p, label, options } of configs) for (const scene of scenes) {
      const n = scene.crops.length;
      const boxes = await p.detector.detect(scene.rgba, options);
      const found = scene.crops.filter((c) => boxes.some((b) => centreInside(b, c))).length;
      const detect = await timeRuns(() => p.detector.detect(scene.rgba, options), runs);
      const full = await timeRuns(() => p.analyze(scene.rgba, { detector: options }), runs);
      frames.push({
        detector: label,
        faces: n,
        found,
        false_boxes: boxes.filter((b) => !scene.crops.some((c) => centreInside(b, c))).length,
        detect_ms_median: round(percentile(detect, 50)),
        detect_ms_p95: round(percentile(detect, 95)),
        pipeline_ms_median: round(percentile(full, 50)),
        pipeline_ms_p95: round(percentile(full, 95)),
      });
    }
  }
  const text = [
    `Classifier (tfjs-wasm, SIMD, ${threadsText(wasmThreadsInUse())})`,
    table(['views', 'batch', 'ms/face median', 'ms/face p95'], classifier.map((c) => [c.views === 'both' ? 'face + mirror (stills)' : 'one (video frames)', c.batch, c.ms_per_face_median, c.ms_per_face_p95])),
    '',
    faces
      ? ['640x480 frame (default detector options; pipeline: detect + grayscale + classify)',
         table(['detector', 'faces', 'found', 'false boxes', 'detect median', 'detect p95', 'pipeline median', 'pipeline p95'],
           frames.map((f) => [f.detector, f.faces, f.found, f.false_boxes, `${f.detect_ms_median} ms`, `${f.detect_ms_p95} ms`, `${f.pipeline_ms_median} ms`, `${f.pipeline_ms_p95} ms`]))].join('\n')
      : 'Frame figures skipped: FER-2013 test faces not found (set FER2013_DIR).',
  ].join('\n');
  return { figures: { classifier, frames }, text };
}
