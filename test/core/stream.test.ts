import { beforeAll, describe, expect, it } from 'vitest';
import { FaceMLError } from '../../src/core/errors';
import type { Box, GrayImage, RgbaImage } from '../../src/core/image';
import { EmotionPipeline, type FaceFinder } from '../../src/core/pipeline';
import { EmotionStream } from '../../src/core/stream';
import { composeScene, iou, type Scene } from '../../src/node/synthetic';
import { ferDir } from '../helpers/fer';
import { getPipeline } from '../helpers/pipeline';
import { cascadeFaces } from '../helpers/scenes';

const testDir = ferDir('test');

/** The real cascade, counting its runs (what video mode saves is detector runs). */
class CountingDetector implements FaceFinder {
  readonly name = 'haar';
  runs = 0;
  constructor(private readonly inner: FaceFinder) {}
  async detect(gray: GrayImage | RgbaImage, options?: Parameters<FaceFinder['detect']>[1]): Promise<Box[]> {
    this.runs++;
    return this.inner.detect(gray, options);
  }
}

describe.skipIf(!testDir)('EmotionStream (video mode, real cascade and model)', () => {
  let two: Scene;
  let moved: Scene;
  let faceCrop: Scene;
  let pipeline: EmotionPipeline;
  let counter: CountingDetector;

  beforeAll(async () => {
    const shared = await getPipeline();
    counter = new CountingDetector(shared.detector);
    pipeline = new EmotionPipeline(counter, shared.classifier);
    const [a, b] = await cascadeFaces(2, 170, 60);
    two = await composeScene(640, 480, [{ file: a.file, x: 60, y: 120, size: 170 }, { file: b.file, x: 380, y: 140, size: 170 }], 11);
    // The same two people a little to the right: ids must follow them.
    moved = await composeScene(640, 480, [{ file: a.file, x: 72, y: 124, size: 170 }, { file: b.file, x: 392, y: 146, size: 170 }], 11);
    faceCrop = await composeScene(48, 48, [{ file: a.file, x: 0, y: 0, size: 48 }], 1);
  });

  it('detects every frame by default and keeps each face id while the face moves', async () => {
    const stream = new EmotionStream(pipeline);
    const before = counter.runs;
    const first = await stream.analyze(two.rgba, 0);
    const second = await stream.analyze(moved.rgba, 40);
    expect(counter.runs - before).toBe(2);
    expect([first.detected, second.detected]).toEqual([true, true]);
    expect(first.faces).toHaveLength(2);
    for (const face of second.faces) {
      const earlier = first.faces.find((f) => iou(f.box, face.box) > 0.5);
      expect(earlier?.faceId).toBe(face.faceId);
    }
  });

  it('with detectEvery 3 runs the detector on one frame in three and reuses its boxes in between', async () => {
    const stream = new EmotionStream(pipeline, { detectEvery: 3 });
    const before = counter.runs;
    const flags: boolean[] = [];
    for (let i = 0; i < 7; i++) flags.push((await stream.analyze(i % 2 ? moved.rgba : two.rgba, i * 40)).detected);
    expect(flags).toEqual([true, false, false, true, false, false, true]);
    expect(counter.runs - before).toBe(3);
  });

  it('in the background mode answers due frames at once and applies the new boxes to later frames', async () => {
    const stream = new EmotionStream(pipeline, { detectEvery: 3, detectInBackground: true });
    const before = counter.runs;
    const first = await stream.analyze(two.rgba, 0);
    await stream.analyze(two.rgba, 40);
    await stream.analyze(two.rgba, 80);
    expect(counter.runs - before).toBe(1);
    // Due: classified at the known boxes, while the detector runs on the moved frame.
    const due = await stream.analyze(moved.rgba, 120);
    expect(due.detected).toBe(false);
    expect(due.faces.map((f) => f.box)).toEqual(first.faces.map((f) => f.box));
    await stream.idle();
    expect(counter.runs - before).toBe(2);
    const after = await stream.analyze(moved.rgba, 160);
    const shifted = after.faces.map((f) => f.box.x).sort((a, b) => a - b);
    const old = first.faces.map((f) => f.box.x).sort((a, b) => a - b);
    expect(shifted[0]).toBeGreaterThan(old[0] + 4); // the boxes of the moved frame, not the first
    expect(after.faces.map((f) => f.faceId).sort()).toEqual(first.faces.map((f) => f.faceId).sort());
  });

  it('drops reused boxes when the frame size changes, and reset() forgets faces', async () => {
    const stream = new EmotionStream(pipeline, { detectEvery: 10 });
    await stream.analyze(two.rgba, 0);
    const smaller = await composeScene(320, 240, [], 2);
    expect((await stream.analyze(smaller.rgba, 40)).detected).toBe(true);
    expect((await stream.analyze(two.rgba, 80)).detected).toBe(true);
    expect(stream.trackedFaces).toBeGreaterThan(0);
    stream.reset();
    expect(stream.trackedFaces).toBe(0);
    // reset() also restarts the clock: an earlier timestamp is a new stream's first frame.
    expect((await stream.analyze(two.rgba, 0)).detected).toBe(true);
  });

  it('classifies face crops whole without ever running the detector (evaluation of datasets)', async () => {
    const stream = new EmotionStream(pipeline, { wholeFrameIsFace: true });
    const before = counter.runs;
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await stream.analyze(faceCrop.rgba, i));
    expect(counter.runs).toBe(before);
    expect(results.every((r) => r.faces.length === 1 && r.faces[0].faceId === 1)).toBe(true);
  });

  it('refuses bad options and frames out of order, naming the value', async () => {
    expect(() => new EmotionStream(pipeline, { detectEvery: 0 })).toThrow(/detectEvery/);
    expect(() => new EmotionStream(pipeline, { smoothing: 0.99 })).toThrow(/smoothing/);
    const stream = new EmotionStream(pipeline);
    await stream.analyze(two.rgba, 100);
    const late = await stream.analyze(two.rgba, 50).catch((e: unknown) => e);
    expect(late).toBeInstanceOf(FaceMLError);
    expect((late as FaceMLError).code).toBe('INVALID_ARGUMENT');
    stream.dispose();
    await expect(stream.analyze(two.rgba, 200)).rejects.toThrow(/disposed/);
  });
});
