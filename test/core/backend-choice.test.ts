import { beforeAll, describe, expect, it } from 'vitest';
import { chooseBackend, decideFromRenderer, decideFromTimings } from '../../src/core/backend-choice';
import { INPUT_SIZE } from '../../src/core/preprocess';
import { tf } from '../../src/core/tf-backend';
import { getPipeline } from '../helpers/pipeline';

describe('choosing WebAssembly or WebGL', () => {
  it('never tries WebGL without it or on a software renderer', () => {
    expect(decideFromRenderer(null)).toEqual({ backend: 'wasm', reason: 'no WebGL here' });
    for (const r of ['ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)', 'llvmpipe (LLVM 15.0.6, 256 bits)']) {
      expect(decideFromRenderer(r)?.backend).toBe('wasm');
      expect(decideFromRenderer(r)?.reason).toMatch(/software-rendered/);
    }
    expect(decideFromRenderer('ANGLE (NVIDIA, NVIDIA GeForce RTX 3060 Direct3D11 vs_5_0 ps_5_0, D3D11)')).toBeNull();
  });

  it('takes WebGL only when clearly faster', () => {
    expect(decideFromTimings(4.5, 1.2).backend).toBe('webgl');
    expect(decideFromTimings(4.5, 4.0).backend).toBe('wasm');
    expect(decideFromTimings(4.5, 40).reason).toMatch(/not faster here \(40 vs 4\.5 ms per face\)/);
    expect(decideFromTimings(4.5, null)).toMatchObject({ backend: 'wasm', reason: 'WebGL failed to start' });
  });

  describe('with the real classifier (Node: tfjs-wasm, no WebGL)', () => {
    const face = new Float32Array(INPUT_SIZE * INPUT_SIZE).fill(0.5);
    let classifyOne: () => Promise<unknown>;
    let calls = 0;
    beforeAll(async () => {
      const { classifier } = await getPipeline();
      classifyOne = () => {
        calls++;
        return classifier.classify(face, 1);
      };
    });

    it('does not run the model at all on a software renderer', async () => {
      calls = 0;
      expect((await chooseBackend('SwiftShader', classifyOne)).backend).toBe('wasm');
      expect(calls).toBe(0);
    });

    it('measures wasm, falls back when WebGL cannot start, and leaves wasm working', async () => {
      calls = 0;
      const decision = await chooseBackend('Some Hardware GPU', classifyOne);
      expect(decision.backend).toBe('wasm');
      expect(decision.reason).toBe('WebGL failed to start');
      expect(decision.msPerFace?.wasm).toBeGreaterThan(0);
      expect(calls).toBeGreaterThanOrEqual(18); // 3 warm-up + 15 timed runs
      expect(tf.getBackend()).toBe('wasm');
      const scores = (await classifyOne()) as Float32Array[];
      expect(scores[0].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 3);
    });
  });
});
