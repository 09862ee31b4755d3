/**
 * Turns a Kaggle-layout FER folder (<class>/*.jpg) into the classifier's input tensors using the
 * runtime's own preprocessing (src/core/preprocess.ts), so training sees exactly what inference
 * sees. Output (in --out): <name>.x.f32 (N x 48 x 48 float32, little-endian), <name>.y.u8 (label
 * indices in LABELS order) and <name>.json (counts, labels, spec). The Python trainer reads these.
 *
 *   tsx training/prepare-data.ts --data ../shared/fer2013/train --out training/.cache --name train
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { listDataset, loadFaceInput } from '../src/node/dataset';
import { INPUT_SIZE } from '../src/core/preprocess';
import { LABELS } from '../src/core/labels';
import spec from '../src/core/spec.json';

const { values } = parseArgs({
  options: { data: { type: 'string' }, out: { type: 'string' }, name: { type: 'string' } },
});
if (!values.data || !values.out || !values.name) {
  console.error('usage: prepare-data --data <dir> --out <dir> --name <name>');
  process.exit(2);
}
const items = await listDataset(values.data);
const plane = INPUT_SIZE * INPUT_SIZE;
const x = new Float32Array(items.length * plane);
const y = new Uint8Array(items.length);
let done = 0;
const CONCURRENCY = 8;
for (let start = 0; start < items.length; start += CONCURRENCY) {
  await Promise.all(
    items.slice(start, start + CONCURRENCY).map(async (item, k) => {
      const i = start + k;
      await loadFaceInput(item.file, x, i * plane);
      y[i] = item.labelIndex;
    }),
  );
  done = Math.min(items.length, start + CONCURRENCY);
  if (done % 4000 < CONCURRENCY) console.error(`prepare ${values.name}: ${done}/${items.length}`);
}
await mkdir(values.out, { recursive: true });
const base = path.join(values.out, values.name);
await writeFile(`${base}.x.f32`, Buffer.from(x.buffer));
await writeFile(`${base}.y.u8`, y);
const counts = Object.fromEntries(LABELS.map((l, i) => [l, y.filter((v) => v === i).length]));
await writeFile(`${base}.json`, JSON.stringify({ n: items.length, size: INPUT_SIZE, labels: LABELS, counts, source: path.resolve(values.data), spec }, null, 2));
console.error(`prepare ${values.name}: wrote ${items.length} samples to ${base}.*`);
