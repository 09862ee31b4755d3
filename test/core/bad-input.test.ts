import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { FaceMLError } from '../../src/core/errors';
import { decodeImage } from '../../src/node/decode';
import { composeScene } from '../../src/node/synthetic';
import { getPipeline } from '../helpers/pipeline';

async function expectCode(promise: Promise<unknown> | (() => unknown), code: string): Promise<FaceMLError> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (err) {
    expect(err).toBeInstanceOf(FaceMLError);
    expect((err as FaceMLError).code).toBe(code);
    expect((err as FaceMLError).message.length).toBeGreaterThan(10);
    return err as FaceMLError;
  }
  throw new Error(`expected a FaceMLError ${code}, but nothing was thrown`);
}

describe('bad input gives a typed error and the pipeline keeps working', () => {
  it('rejects undecodable bytes', async () => {
    const good = (await composeScene(320, 240, [], 3)).jpeg;
    await expectCode(decodeImage(new Uint8Array(0)), 'INVALID_IMAGE');
    await expectCode(decodeImage(new TextEncoder().encode('<html>not an image</html>')), 'INVALID_IMAGE');
    await expectCode(decodeImage(Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)), 'INVALID_IMAGE');
    const truncated = await expectCode(decodeImage(good.subarray(0, Math.floor(good.length / 2))), 'INVALID_IMAGE');
    expect(truncated.message).toMatch(/corrupt|truncated/);
    const gif = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#888' } }).gif().toBuffer();
    await expectCode(decodeImage(gif), 'INVALID_IMAGE');
  });

  it('refuses a 10000x10000 image from its header, before decoding it', async () => {
    const huge = await sharp({ create: { width: 10000, height: 10000, channels: 3, background: '#444' } }).jpeg({ quality: 10 }).toBuffer();
    const err = await expectCode(decodeImage(huge), 'IMAGE_TOO_LARGE');
    expect(err.message).toMatch(/10000x10000/);
  });

  it('rejects empty, oversized and inconsistent pixel buffers', async () => {
    const pipeline = await getPipeline();
    await expectCode(pipeline.analyze({ width: 0, height: 0, data: new Uint8Array(0) }), 'EMPTY_IMAGE');
    await expectCode(pipeline.analyze({ width: 640, height: 0, data: new Uint8Array(0) }), 'EMPTY_IMAGE');
    await expectCode(pipeline.analyze({ width: 10000, height: 10000, data: new Uint8Array(16) }), 'IMAGE_TOO_LARGE');
    await expectCode(pipeline.analyze({ width: 100, height: 100, data: new Uint8Array(5000) }), 'INVALID_IMAGE');
    await expectCode(pipeline.analyze({ width: 2.5, height: 3, data: new Uint8Array(40) }), 'EMPTY_IMAGE');
  });

  it('rejects bad detector options', async () => {
    const pipeline = await getPipeline('haar');
    const frame = (await composeScene(320, 240, [], 4)).rgba;
    await expectCode(pipeline.analyze(frame, { detector: { scaleFactor: 1 } }), 'INVALID_ARGUMENT');
    await expectCode(pipeline.analyze(frame, { detector: { minNeighbors: -1 } }), 'INVALID_ARGUMENT');
    await expectCode(pipeline.analyze(frame, { detector: { maxDetectSide: Number.NaN } }), 'INVALID_ARGUMENT');
  });

  it('still analyses a good frame after all of that', async () => {
    const pipeline = await getPipeline();
    await pipeline.analyze({ width: 100, height: 100, data: new Uint8Array(5000) }).catch(() => {});
    const frame = (await composeScene(320, 240, [], 5)).rgba;
    const result = await pipeline.analyze(frame);
    expect(result.image).toEqual({ width: 320, height: 240 });
    expect(Array.isArray(result.faces)).toBe(true);
    const tiny = await pipeline.analyze({ width: 1, height: 1, data: new Uint8Array(4) });
    expect(tiny.faces).toEqual([]);
  });
});
