import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { toGray } from '../../src/core/image';
import { decodeImage } from '../../src/node/decode';
import { composeScene, iou } from '../../src/node/synthetic';
import { ferDir, ferSample } from '../helpers/fer';
import { getPipeline } from '../helpers/pipeline';
import { makeScenes } from '../helpers/scenes';

const testDir = ferDir('test');

describe.skipIf(!testDir)('Haar face detection on frames composed from FER-2013 test faces', () => {
  it('finds most faces, with few false ones, and reports the rate', async () => {
    const pipeline = await getPipeline();
    const faces = await ferSample(testDir!, 60);
    const scenes = await makeScenes(faces, 30);
    let total = 0;
    let found = 0;
    let falsePositives = 0;
    for (const scene of scenes) {
      const boxes = pipeline.detector.detect(toGray(scene.rgba));
      total += scene.crops.length;
      found += scene.crops.filter((crop) => boxes.some((b) => iou(b, crop) >= 0.5)).length;
      falsePositives += boxes.filter((b) => !scene.crops.some((crop) => iou(b, crop) >= 0.5)).length;
    }
    const rate = found / total;
    console.log(`detection: ${found}/${total} faces found (${(rate * 100).toFixed(1)}%), ${falsePositives} false detections in ${scenes.length} frames`);
    // FER-2013 includes profile, occluded and cartoon faces a frontal cascade cannot find:
    // measure-crop finds ~64% of them at this size.
    expect(rate).toBeGreaterThanOrEqual(0.5);
    expect(falsePositives).toBeLessThanOrEqual(scenes.length / 3);
  });

  it('finds nothing in a frame without faces', async () => {
    const pipeline = await getPipeline();
    const empty = await composeScene(640, 480, [], 99);
    expect((await pipeline.analyze(empty.rgba)).faces).toEqual([]);
  });

  it('labels detected faces as it labels the same faces given as crops', async () => {
    const pipeline = await getPipeline();
    const faces = await ferSample(testDir!, 90);
    const scenes = await makeScenes(faces, 45);
    let compared = 0;
    let agree = 0;
    for (const scene of scenes) {
      const result = await pipeline.analyze(scene.rgba);
      for (const [k, crop] of scene.crops.entries()) {
        const face = result.faces.find((f) => iou(f.box, crop) >= 0.5);
        if (!face) continue;
        const alone = await pipeline.analyze(await decodeImage(await readFile(scene.items[k].file)), { imageIsFaceCrop: true });
        compared++;
        if (alone.faces[0].emotion === face.emotion) agree++;
      }
    }
    console.log(`framing: detected-face label equals crop label for ${agree}/${compared} faces`);
    expect(compared).toBeGreaterThan(40);
    expect(agree / compared).toBeGreaterThanOrEqual(0.7);
  });

  it('orders faces largest first and clips boxes to the image', async () => {
    const pipeline = await getPipeline();
    const faces = await ferSample(testDir!, 60);
    const scenes = await makeScenes(faces, 30);
    for (const scene of scenes.filter((s) => s.crops.length > 1)) {
      const { faces: found, image } = await pipeline.analyze(scene.rgba);
      for (let i = 1; i < found.length; i++) {
        expect(found[i - 1].box.width * found[i - 1].box.height).toBeGreaterThanOrEqual(found[i].box.width * found[i].box.height);
      }
      for (const f of found) {
        expect(f.box.x).toBeGreaterThanOrEqual(0);
        expect(f.box.x + f.box.width).toBeLessThanOrEqual(image.width);
        const sum = Object.values(f.scores).reduce((a, b) => a + b, 0);
        expect(sum).toBeCloseTo(1, 3);
        expect(f.confidence).toBe(f.scores[f.emotion]);
      }
    }
  });
});
