import { describe, expect, it } from 'vitest';
import { tf } from '../../src/core/tf-backend';
import { composeScene } from '../../src/node/synthetic';
import { ferDir, ferSample } from '../helpers/fer';
import { getPipeline } from '../helpers/pipeline';

describe('resources', () => {
  it('tf.memory() does not grow across 100 analyses (with and without faces)', async () => {
    const pipeline = await getPipeline();
    const dir = ferDir('test');
    const faces = dir ? await ferSample(dir, 3) : [];
    const scene = await composeScene(640, 480, faces.map((f, i) => ({ file: f.file, x: 40 + i * 200, y: 120, size: 160 })), 11);
    await pipeline.analyze(scene.rgba); // warm-up: backend-internal caches are allowed to fill once
    const before = tf.memory();
    let facesSeen = 0;
    for (let i = 0; i < 100; i++) {
      const result = await pipeline.analyze(scene.rgba);
      facesSeen += result.faces.length;
      if (i % 10 === 0) await pipeline.analyze({ width: 0, height: 0, data: new Uint8Array(0) }).catch(() => {});
      // The wasm backend answers through microtasks only: without a turn of the event loop the
      // whole loop blocks this worker, and on a busy machine vitest's progress RPC times out.
      await new Promise((r) => setImmediate(r));
    }
    const after = tf.memory();
    console.log(`memory: ${before.numTensors} -> ${after.numTensors} tensors, ${before.numBytes} -> ${after.numBytes} bytes; ${facesSeen} faces classified`);
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
    if (dir) expect(facesSeen).toBeGreaterThan(0);
  });
});
