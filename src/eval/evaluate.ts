import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import type { FaceViews } from '../core/classifier';
import { FaceMLError } from '../core/errors';
import { LABELS, type Emotion } from '../core/labels';
import type { EmotionPipeline, FaceResult } from '../core/pipeline';
import { EmotionStream } from '../core/stream';
import type { DatasetItem } from '../node/dataset';
import { decodeImage } from '../node/decode';

export interface EvalReport {
  accuracy: number;
  n: number;
  per_class: Record<Emotion, number>;
  confusion: number[][];
  ms_per_face: number;
  /** With detection: images where the cascade found at least one face. */
  faces_found?: number;
  detection_rate?: number;
  /** With detection: accuracy over the images where a face was found. */
  accuracy_detected?: number;
}

export interface EvalOptions {
  /** Run the Haar cascade first and classify the largest face (misses count as errors). */
  detect?: boolean;
  /** Views of each face (default: the runtime's, the face and its mirror image averaged). */
  views?: FaceViews;
  /**
   * Classify each image as a still video of this many frames, the way the extension classifies
   * a video: an EmotionStream with its default smoothing picks each frame's views (alternating) and
   * its smoothed label is the answer. Unset: one still-image analysis per image.
   */
  videoFrames?: number;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Face crops (FER is 48x48) fill the whole frame, where the cascade cannot find them. For
 * --detect they are scaled up to DETECT_SIDE and given a replicated-edge border, as a face in
 * a photo would have surroundings.
 */
const DETECT_SIDE = 192;
const DETECT_BORDER = 48;

async function loadForDetection(file: string) {
  const bytes = await readFile(file);
  const meta = await sharp(bytes).metadata().catch((cause) => {
    throw new FaceMLError('INVALID_IMAGE', `${file}: not a decodable image`, { cause });
  });
  if ((meta.width ?? 0) >= DETECT_SIDE) return decodeImage(bytes);
  const framed = await sharp(bytes)
    .resize(DETECT_SIDE, DETECT_SIDE, { kernel: 'cubic', fit: 'fill' })
    .extend({ top: DETECT_BORDER, bottom: DETECT_BORDER, left: DETECT_BORDER, right: DETECT_BORDER, extendWith: 'copy' })
    .png()
    .toBuffer();
  return decodeImage(framed);
}

/** Runs the pipeline over a labelled dataset and returns accuracy, recall and confusion. */
export async function evaluateDataset(pipeline: EmotionPipeline, items: DatasetItem[], options: EvalOptions = {}): Promise<EvalReport> {
  if (items.length === 0) throw new FaceMLError('INVALID_ARGUMENT', 'nothing to evaluate: the dataset is empty');
  const k = LABELS.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let classifyMs = 0;
  let faces = 0;
  let found = 0;
  let correct = 0;
  for (const [i, item] of items.entries()) {
    let image;
    try {
      image = options.detect ? await loadForDetection(item.file) : await decodeImage(await readFile(item.file));
    } catch (err) {
      const code = err instanceof FaceMLError ? err.code : 'INVALID_IMAGE';
      throw new FaceMLError(code, `unreadable image ${item.file}: ${(err as Error).message}`, { cause: err });
    }
    // A still image is one analysis; a still video is that many frames of one stream.
    const stream = options.videoFrames ? new EmotionStream(pipeline, { wholeFrameIsFace: !options.detect }) : null;
    let face: FaceResult | undefined;
    for (let frame = 0; frame < (options.videoFrames ?? 1); frame++) {
      const result = stream ? await stream.analyze(image, frame) : await pipeline.analyze(image, { imageIsFaceCrop: !options.detect, views: options.views });
      [face] = result.faces;
      faces += result.faces.length;
      classifyMs += result.timing.classify;
    }
    stream?.dispose();
    if (face) found++;
    // A missed face counts as a wrong answer: predicted index -1 is kept out of the matrix.
    const predicted = face ? LABELS.indexOf(face.emotion) : -1;
    if (predicted >= 0) confusion[item.labelIndex][predicted]++;
    if (predicted === item.labelIndex) {
      correct++; // only found faces can be right, so this also counts correct detections
    }
    options.onProgress?.(i + 1, items.length);
  }
  const per_class = {} as Record<Emotion, number>;
  LABELS.forEach((label, c) => {
    const total = items.filter((it) => it.labelIndex === c).length;
    per_class[label] = total ? round(confusion[c][c] / total) : 0;
  });
  const report: EvalReport = {
    accuracy: round(correct / items.length),
    n: items.length,
    per_class,
    confusion,
    ms_per_face: round(faces ? classifyMs / faces : 0, 3),
  };
  if (options.detect) {
    report.faces_found = found;
    report.detection_rate = round(found / items.length);
    report.accuracy_detected = round(found ? correct / found : 0);
  }
  return report;
}

function round(v: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/** The report as a human-readable text table. */
export function formatReport(r: EvalReport): string {
  const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
  const lines = [`accuracy ${pct(r.accuracy)} on ${r.n} images, ${r.ms_per_face.toFixed(2)} ms per face (classifier)`];
  if (r.detection_rate !== undefined) {
    lines.push(`faces found in ${r.faces_found}/${r.n} images (${pct(r.detection_rate)}); accuracy where found ${pct(r.accuracy_detected ?? 0)}`);
  }
  lines.push('', 'recall per class:');
  for (const label of LABELS) lines.push(`  ${label.padEnd(9)} ${pct(r.per_class[label]).padStart(6)}`);
  lines.push('', 'confusion (rows: true, columns: predicted):');
  lines.push('          ' + LABELS.map((l) => l.slice(0, 7).padStart(8)).join(''));
  r.confusion.forEach((row, i) => lines.push(LABELS[i].padEnd(10) + row.map((v) => String(v).padStart(8)).join('')));
  return lines.join('\n');
}
