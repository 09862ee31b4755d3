import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { FaceMLError } from './errors';
import { withTimeout } from './timing';

export interface BackendOptions {
  /** Folder (URL or, in Node, file path ending in '/') that holds tfjs-backend-wasm's .wasm files. */
  wasmPath: string;
  /** Give up on a backend that does not come up in this long (tfjs can hang instead of failing). */
  timeoutMs?: number;
}

let ready: Promise<string> | null = null;

/**
 * Brings up tfjs on the wasm backend, once per process/page. Multithreading is turned off on
 * purpose: extension pages expose SharedArrayBuffer without cross-origin isolation, so tfjs would
 * pick the threaded build, whose blob: workers the MV3 CSP blocks, and setBackend would never settle.
 */
export function initTensorflow({ wasmPath, timeoutMs = 20_000 }: BackendOptions): Promise<string> {
  ready ??= (async () => {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    setWasmPaths(wasmPath);
    const ok = await withTimeout(tf.setBackend('wasm'), timeoutMs, () => new FaceMLError('MODEL_LOAD_FAILED', `tfjs wasm backend did not start within ${timeoutMs} ms`));
    if (!ok) throw new FaceMLError('MODEL_LOAD_FAILED', 'tfjs wasm backend failed to initialise');
    await tf.ready();
    return tf.getBackend();
  })().catch((err) => {
    ready = null; // allow a retry after a failure
    throw err;
  });
  return ready;
}

export { tf };
