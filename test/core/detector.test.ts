import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FaceMLError } from '../../src/core/errors';
import { DETECTOR_NAMES, type DetectorName } from '../../src/core/pipeline';
import { tf } from '../../src/core/tf-backend';
import { decodeImage } from '../../src/node/decode';
import { PROJECT_ROOT } from '../../src/node/paths';
import { centreInside, composeScene } from '../../src/node/synthetic';
import { ferDir, ferSample } from '../helpers/fer';
import { getPipeline } from '../helpers/pipeline';
import { detectableFaces, makeScenes } from '../helpers/scenes';
import faceApiSamples from '../fixtures/face-api-samples.json';

const testDir = ferDir('test');

/** `run` fails with a FaceMLError of `code`, whether it throws (the cascade is synchronous) or rejects. */
async function expectCode(run: () => unknown, code: string) {
  await expect(Promise.resolve().then(run)).rejects.toSatisfy((e: unknown) => e instanceof FaceMLError && e.code === code);
}

/** The contract every face detector keeps, run against each shipped detector with the real model files. */
describe.each(DETECTOR_NAMES)('face detector contract: %s', (name: DetectorName) => {
  const detector = async () => (await getPipeline(name)).detector;

  it('reports its name', async () => {
    expect((await detector()).name).toBe(name);
  });

  it('finds nothing in a frame without faces, in RGBA or gray', async () => {
    const d = await detector();
    const empty = await composeScene(640, 480, [], 99);
    expect(await d.detect(empty.rgba)).toEqual([]);
    const gray = { width: 640, height: 480, data: new Uint8Array(640 * 480).fill(128) };
    expect(await d.detect(gray)).toEqual([]);
  });

  it.skipIf(!testDir)('gives boxes in image pixels, largest first, and honours the minimum face size', async () => {
    const d = await detector();
    const [a, b] = await detectableFaces(async (s) => d.detect(s.rgba), await ferSample(testDir!, 60), 2, 150);
    const scene = await composeScene(520, 380, [{ file: a.file, x: 20, y: 60, size: 230 }, { file: b.file, x: 330, y: 120, size: 150 }], 3);
    const boxes = await d.detect(scene.rgba);
    expect(boxes).toHaveLength(2);
    expect(boxes[0].width * boxes[0].height).toBeGreaterThan(boxes[1].width * boxes[1].height);
    // In image pixels: each box is centred on its face, the larger on the larger face.
    expect(centreInside(boxes[0], scene.crops[0])).toBe(true);
    expect(centreInside(boxes[1], scene.crops[1])).toBe(true);
    const between = (boxes[0].width + boxes[1].width) / 2;
    const big = await d.detect(scene.rgba, { minFaceSize: between });
    expect(big).toHaveLength(1);
    expect(big[0].width).toBeGreaterThanOrEqual(between);
  });

  it('refuses bad options with a typed error', async () => {
    const d = await detector();
    const frame = (await composeScene(320, 240, [], 4)).rgba;
    await expectCode(() => d.detect(frame, { minFaceSize: Number.NaN }), 'INVALID_ARGUMENT');
    if (name === 'haar') {
      await expectCode(() => d.detect(frame, { scaleFactor: 1 }), 'INVALID_ARGUMENT');
      await expectCode(() => d.detect(frame, { minNeighbors: -1 }), 'INVALID_ARGUMENT');
      await expectCode(() => d.detect(frame, { maxDetectSide: Number.NaN }), 'INVALID_ARGUMENT');
    } else {
      await expectCode(() => d.detect(frame, { minConfidence: 1.5 }), 'INVALID_ARGUMENT');
      await expectCode(() => d.detect(frame, { tileSide: -1 }), 'INVALID_ARGUMENT');
    }
  });

  it('refuses images it cannot read through the pipeline: zero-size, 10000x10000, a buffer of the wrong size', async () => {
    const pipeline = await getPipeline(name);
    await expectCode(() => pipeline.detectFaces({ width: 0, height: 0, data: new Uint8Array(0) }), 'EMPTY_IMAGE');
    await expectCode(() => pipeline.detectFaces({ width: 10_000, height: 10_000, data: new Uint8Array(4) }), 'IMAGE_TOO_LARGE');
    await expectCode(() => pipeline.detectFaces({ width: 100, height: 100, data: new Uint8Array(5000) }), 'INVALID_IMAGE');
    // A 1x1 image is an image: no face, no error.
    expect(await pipeline.detectFaces({ width: 1, height: 1, data: new Uint8Array(4) })).toEqual([]);
  });

  it('leaves no tensor behind over 100 calls', async () => {
    const d = await detector();
    const frame = (await composeScene(320, 240, [], 8)).rgba;
    await d.detect(frame);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 100; i++) await d.detect(frame);
    expect(tf.memory().numTensors).toBe(before);
  });

  it.skipIf(!testDir)('finds faces composed from FER-2013 test images, with few false boxes, and reports the rate', async () => {
    const d = await detector();
    const scenes = await makeScenes(await ferSample(testDir!, 60), 30);
    let total = 0;
    let found = 0;
    let falseBoxes = 0;
    for (const scene of scenes) {
      const boxes = await d.detect(scene.rgba);
      total += scene.crops.length;
      found += scene.crops.filter((crop) => boxes.some((b) => centreInside(b, crop))).length;
      falseBoxes += boxes.filter((b) => !scene.crops.some((crop) => centreInside(b, crop))).length;
    }
    console.log(`${name}: ${found}/${total} faces found (${((found / total) * 100).toFixed(1)}%), ${falseBoxes} false boxes in ${scenes.length} frames`);
    // FER-2013 holds profile, occluded and cartoon faces: the frontal cascade finds about two in
    // three at these sizes, BlazeFace nearly all (README, `npm run bench`).
    expect(found / total).toBeGreaterThanOrEqual(name === 'haar' ? 0.5 : 0.9);
    expect(falseBoxes).toBeLessThanOrEqual(name === 'haar' ? scenes.length / 3 : 1);
  });

  it("counts the faces in face-api's six sample photos", async () => {
    const d = await detector();
    let found = 0;
    let falseBoxes = 0;
    let faces = 0;
    for (const sample of faceApiSamples.photos) {
      const image = await decodeImage(await readFile(path.join(PROJECT_ROOT, faceApiSamples.folder, sample.file)));
      const boxes = await d.detect(image);
      faces += sample.faces.length;
      found += sample.faces.filter((f) => boxes.some((b) => centreInside(b, f))).length;
      falseBoxes += boxes.filter((b) => !sample.faces.some((f) => centreInside(b, f))).length;
    }
    console.log(`${name}: ${found}/${faces} faces in the face-api sample photos, ${falseBoxes} false boxes`);
    if (name === 'blazeface') {
      expect(found).toBeGreaterThanOrEqual(19);
      expect(falseBoxes).toBeLessThanOrEqual(1);
    } else {
      expect(found).toBeGreaterThanOrEqual(10); // the cascade's figure, kept from falling further
    }
  });
});
