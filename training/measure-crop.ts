/**
 * Measures how a face detector frames a FER-2013 face, so the runtime can crop detected faces
 * the way the training crops were framed. Each FER test image is scaled up onto a background;
 * for each detected face we record cropSide / boxSide and the vertical offset of the crop centre
 * from the box centre (in box heights). Prints medians and the detection rate.
 * For the Haar cascade the medians are spec.json's faceCrop; for another detector the line also
 * gives the detectors.<name>.toFaceBox that makes its boxes framed like the cascade's.
 *
 *   npm run measure-crop -- --data ../shared/fer2013/test [--n 600] [--detector haar|blazeface]
 */
import { parseArgs } from 'node:util';
import { initTensorflow } from '../src/core/tf-backend';
import spec from '../src/core/spec.json';
import { listDataset } from '../src/node/dataset';
import { WASM_DIR } from '../src/node/paths';
import { createNodeDetector, parseDetectorName } from '../src/node/pipeline';
import { composeScene } from '../src/node/synthetic';

const { values } = parseArgs({ options: { data: { type: 'string' }, n: { type: 'string', default: '600' }, detector: { type: 'string', default: 'haar' } } });
if (!values.data) {
  console.error('usage: measure-crop --data <dir> [--n N] [--detector haar|blazeface]');
  process.exit(2);
}
const detectorName = parseDetectorName(values.detector, '--detector')!;
const items = await listDataset(values.data);
const n = Math.min(items.length, Number(values.n));
const step = items.length / n;
await initTensorflow({ wasmPath: WASM_DIR });
const detector = await createNodeDetector(detectorName);
const scales: number[] = [];
const offsets: number[] = [];
let found = 0;
for (let k = 0; k < n; k++) {
  const item = items[Math.floor(k * step)];
  const side = 160;
  const scene = await composeScene(400, 300, [{ file: item.file, x: 120, y: 70, size: side }], k + 1);
  const boxes = await detector.detect(scene.rgba, { maxDetectSide: 400 });
  const crop = scene.crops[0];
  const hit = boxes.find((b) => b.x + b.width / 2 > crop.x && b.x + b.width / 2 < crop.x + side && b.y + b.height / 2 > crop.y && b.y + b.height / 2 < crop.y + side);
  if (!hit) continue;
  found++;
  scales.push(side / Math.max(hit.width, hit.height));
  offsets.push((crop.y + side / 2 - (hit.y + hit.height / 2)) / hit.height);
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const scale = median(scales);
const offsetY = median(offsets);
const report: Record<string, unknown> = { detector: detectorName, images: n, detected: found, detection_rate: +(found / n).toFixed(3), scale: +scale.toFixed(3), offsetY: +offsetY.toFixed(3) };
if (detectorName !== 'haar') {
  // Boxes are already mapped by the current toFaceBox (s0, o0, in raw-box sides); the mapping that
  // makes spec.faceCrop (s, o) of the mapped box equal the FER crop is s1 = scale*s0/s,
  // o1 = offsetY*s0 + o0 - o*s1.
  const current = spec.detectors[detectorName].toFaceBox;
  const s1 = (scale * current.scale) / spec.faceCrop.scale;
  report.toFaceBox = { scale: +s1.toFixed(3), offsetY: +(offsetY * current.scale + current.offsetY - spec.faceCrop.offsetY * s1).toFixed(3) };
}
console.log(JSON.stringify(report));
