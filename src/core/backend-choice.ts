import { FaceMLError } from './errors';
import { tf } from './tf-backend';
import { timeRuns, withTimeout } from './timing';

/**
 * Which tfjs backend classifies faces: WebAssembly (always works, ~4-5 ms per face on a 2-core
 * CPU) or WebGL when it is measurably faster on this machine. WebGL is never tried on a
 * software renderer (SwiftShader, llvmpipe...): there it is ~12x slower, and its first shader
 * compilation can block the page for seconds (it once hung headless Chromium).
 */
export type BackendName = 'wasm' | 'webgl';

export interface BackendDecision {
  backend: BackendName;
  /** Why, in words for the status line. */
  reason: string;
  /** Measured classifier time per face, when both were measured. */
  msPerFace?: Partial<Record<BackendName, number>>;
}

const SOFTWARE_RENDERER = /swiftshader|llvmpipe|softpipe|software|basic render|mesa offscreen/i;
/** WebGL must beat wasm by this factor: it shares the GPU with the page's own video decoding. */
const WEBGL_MARGIN = 0.8;

/** A decision that needs no measuring (no WebGL, or a software one), else null. */
export function decideFromRenderer(renderer: string | null): BackendDecision | null {
  if (!renderer) return { backend: 'wasm', reason: 'no WebGL here' };
  if (SOFTWARE_RENDERER.test(renderer)) return { backend: 'wasm', reason: `WebGL is software-rendered (${renderer})` };
  return null;
}

export function decideFromTimings(wasm: number, webgl: number | null): BackendDecision {
  const msPerFace = { wasm: round(wasm), ...(webgl === null ? {} : { webgl: round(webgl) }) };
  if (webgl === null) return { backend: 'wasm', reason: 'WebGL failed to start', msPerFace };
  return webgl <= wasm * WEBGL_MARGIN
    ? { backend: 'webgl', reason: `WebGL is faster here (${msPerFace.webgl} vs ${msPerFace.wasm} ms per face)`, msPerFace }
    : { backend: 'wasm', reason: `WebGL is not faster here (${msPerFace.webgl} vs ${msPerFace.wasm} ms per face)`, msPerFace };
}

const round = (ms: number) => Math.round(ms * 100) / 100;

/** Median ms per call of `run` after warm-up calls (the first WebGL calls compile shaders). */
export async function medianMs(run: () => Promise<unknown>, runs = 15, warmup = 3): Promise<number> {
  const times = (await timeRuns(run, runs, warmup)).sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/**
 * Picks the backend for `classifyOne` (one face through the loaded model), starting from wasm,
 * which must already be the active backend. Leaves the chosen backend active; the model's
 * weights move to it on first use.
 */
export async function chooseBackend(renderer: string | null, classifyOne: () => Promise<unknown>, timeoutMs = 10_000): Promise<BackendDecision> {
  const early = decideFromRenderer(renderer);
  if (early) return early;
  const wasm = await medianMs(classifyOne);
  let webgl: number | null = null;
  const timedOut = () => new FaceMLError('MODEL_LOAD_FAILED', `WebGL did not respond within ${timeoutMs} ms`);
  try {
    const started = await withTimeout(tf.setBackend('webgl'), timeoutMs, timedOut);
    if (started) webgl = await withTimeout(medianMs(classifyOne), timeoutMs, timedOut);
  } catch {
    webgl = null;
  }
  const decision = decideFromTimings(wasm, webgl);
  if (decision.backend === 'wasm' && tf.getBackend() !== 'wasm') {
    await tf.setBackend('wasm');
    // One call moves the weights back from WebGL textures; only then can WebGL be dropped.
    await classifyOne().catch(() => undefined);
    tf.removeBackend('webgl');
  }
  return decision;
}
