/**
 * Measures how the Haar cascade frames a FER-2013 face, so the runtime can crop detected faces
 * the way the training crops were framed (spec.json faceCrop). Each FER test image is scaled up
 * onto a background; for each detected face we record cropSide / boxSide and the vertical offset
 * of the crop centre from the box centre (in box heights). Prints medians and the detection rate.
 *
 *   npm run measure-crop -- --data ../shared/fer2013/test [--n 600]
 */
import { parseArgs } from 'node:util';
import { FaceDetector } from '../src/core/detector';
import { toGray } from '../src/core/image';
import { listDataset } from '../src/node/dataset';
import { DEFAULT_CASCADE_FILE } from '../src/node/paths';
import { loadOpenCv } from '../src/node/opencv';
import { composeScene } from '../src/node/synthetic';
import { readFile } from 'node:fs/promises';

const { values } = parseArgs({ options: { data: { type: 'string' }, n: { type: 'string', default: '600' } } });
if (!values.data) {
  console.error('usage: measure-crop --data <dir> [--n N]');
  process.exit(2);
}
const items = await listDataset(values.data);
const n = Math.min(items.length, Number(values.n));
const step = items.length / n;
const { cv } = await loadOpenCv();
const detector = FaceDetector.create(cv, new Uint8Array(await readFile(DEFAULT_CASCADE_FILE)));
const scales: number[] = [];
const offsets: number[] = [];
let found = 0;
for (let k = 0; k < n; k++) {
  const item = items[Math.floor(k * step)];
  const side = 160;
  const scene = await composeScene(400, 300, [{ file: item.file, x: 120, y: 70, size: side }], k + 1);
  const boxes = detector.detect(toGray(scene.rgba), { maxDetectSide: 400 });
  const crop = scene.crops[0];
  const hit = boxes.find((b) => b.x + b.width / 2 > crop.x && b.x + b.width / 2 < crop.x + side && b.y + b.height / 2 > crop.y && b.y + b.height / 2 < crop.y + side);
  if (!hit) continue;
  found++;
  scales.push(side / Math.max(hit.width, hit.height));
  offsets.push((crop.y + side / 2 - (hit.y + hit.height / 2)) / hit.height);
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
console.log(JSON.stringify({ images: n, detected: found, detection_rate: +(found / n).toFixed(3), scale: +median(scales).toFixed(3), offsetY: +median(offsets).toFixed(3) }));
