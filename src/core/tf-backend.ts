import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { FaceMLError } from './errors';
import { withTimeout } from './timing';

export interface BackendOptions {
  /** Folder (URL or, in Node, file path ending in '/') that holds tfjs-backend-wasm's .wasm files. */
  wasmPath: string;
  /** Give up on a backend that does not come up in this long (tfjs can hang instead of failing). */
  timeoutMs?: number;
  /**
   * Threads for tfjs's multithreaded build (default 1: the single-threaded build). More than one
   * only where the caller has made that build loadable (Node: src/node/wasm-threads.ts).
   */
  threads?: number;
}

let ready: Promise<string> | null = null;

/**
 * Brings up tfjs on the wasm backend, once per process/page. Multithreading is off unless asked
 * for: extension pages expose SharedArrayBuffer without cross-origin isolation, so tfjs would pick
 * the threaded build, whose blob: workers the MV3 CSP blocks, and setBackend would never settle.
 */
export function initTensorflow({ wasmPath, timeoutMs = 20_000, threads = 1 }: BackendOptions): Promise<string> {
  ready ??= (async () => {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', threads > 1);
    if (threads > 1) setThreadsCount(threads);
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

/** Threads the wasm backend computes on (1: the single-threaded build, or wasm not started). */
export function wasmThreadsInUse(): number {
  try {
    return Math.max(1, getThreadsCount());
  } catch {
    return 1; // tfjs throws until the wasm backend has started
  }
}

export const threadsText = (n: number): string => (n === 1 ? '1 thread' : `${n} threads`);

export { tf };
