import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { FaceMLError } from '../core/errors';
import { tf } from '../core/tf-backend';

/**
 * Lets tfjs-backend-wasm run its multithreaded build (XNNPACK on a pthread pool) in Node, which
 * tfjs turns off there (tfjs#3830). On a 2-core machine it nearly halves the time per face.
 * Three things stand in the way; each is bridged only while the backend starts
 * (`withNodeWasmThreads`), and undone afterwards:
 *
 * 1. tfjs hands Emscripten a `blob:` URL for the pthread worker script, which Node's worker_threads
 *    cannot load: URL.createObjectURL answers instead with a file holding tfjs's own worker script.
 * 2. That script loads the module's main script from a Blob (a browser-only path): in the file it
 *    is rewritten to read tfjs's threaded-simd.js from node_modules, the same build the main
 *    thread runs, matching the same .wasm.
 * 3. The C++ side caps the pool at half the logical cores, assuming hyper-threading, so a 2-core
 *    machine would get one thread: os.cpus() reports twice the cores while the module initialises,
 *    and the thread count actually used is the one asked for (tfjs's setThreadsCount).
 *
 * Extension pages do not use this: their CSP blocks the workers (src/core/tf-backend.ts).
 */

const require = createRequire(import.meta.url);
const WASM_OUT = '@tensorflow/tfjs-backend-wasm/wasm-out/';
/** The branch of tfjs's worker script that loads the main script from a Blob or a URL. */
const LOAD_MAIN_SCRIPT = /if\(typeof e\.data\.urlOrBlob=="string"\)\{importScripts\(e\.data\.urlOrBlob\)\}else\{var objectUrl=URL\.createObjectURL\(e\.data\.urlOrBlob\);importScripts\(objectUrl\);URL\.revokeObjectURL\(objectUrl\)\}/;
/** tfjs's pthread pool holds 8 workers (its C++ side allows no more). */
const MAX_THREADS = 8;

/**
 * Threads to ask for: FACEML_WASM_THREADS if set (1 = the single-threaded build), else one per
 * core the process may use, at most 8.
 */
export function wasmThreadCount(env: NodeJS.ProcessEnv = process.env): number {
  const asked = env.FACEML_WASM_THREADS;
  if (asked !== undefined && asked !== '') {
    const n = Number(asked);
    if (!Number.isInteger(n) || n < 1) throw new FaceMLError('INVALID_ARGUMENT', `FACEML_WASM_THREADS must be a whole number >= 1, got ${JSON.stringify(asked)}`);
    return Math.min(n, MAX_THREADS);
  }
  return Math.min(os.availableParallelism(), MAX_THREADS);
}

/**
 * tfjs's worker script, rewritten to load the main script from disk, in a file of its own.
 * Returns null when this tfjs build's worker script is not the one this bridge knows.
 */
function writeNodeWorkerScript(): { file: string; dispose(): void } | null {
  const { wasmWorkerContents } = require(`${WASM_OUT}tfjs-backend-wasm-threaded-simd.worker.js`) as { wasmWorkerContents: string };
  const mainScript = require.resolve(`${WASM_OUT}tfjs-backend-wasm-threaded-simd.js`);
  if (!LOAD_MAIN_SCRIPT.test(wasmWorkerContents)) return null;
  // As tfjs does before making its Blob: the template literal turned the script's "\n" escapes
  // into raw newlines inside string literals.
  const source = wasmWorkerContents
    .replace(/\n/g, '\\n')
    .replace(LOAD_MAIN_SCRIPT, () => `importScripts(${JSON.stringify(mainScript)});`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'faceml-tfjs-worker-'));
  // .cjs: the script uses require(), whatever package.json says about modules.
  const file = path.join(dir, 'tfjs-backend-wasm-threaded-simd.worker.cjs');
  writeFileSync(file, source);
  return { file, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * After start-up, what the pool should not keep doing:
 * - tfjs's build preloads 8 workers whatever the thread count, each a V8 isolate with its own copy
 *   of the module's JS (the server's memory grew by 140 MB): the ones no thread took are ended.
 *   Threads are only ever created by pthreadpool_create during start-up, so none is needed later.
 * - Emscripten refs each worker that runs a pthread, and XNNPACK's threads wait for work for the
 *   module's life, so a script that ends without process.exit() would never end: those are
 *   unref'd, as Emscripten does with idle ones; they hold no state worth waiting for.
 */
function trimPool(): void {
  type NodeWorker = { unref(): void; terminate(): unknown };
  const pthreads = (tf.backend() as unknown as { wasm?: { PThread?: { runningWorkers?: NodeWorker[]; unusedWorkers?: NodeWorker[] } } }).wasm?.PThread;
  for (const worker of pthreads?.unusedWorkers?.splice(0) ?? []) void worker.terminate();
  for (const worker of pthreads?.runningWorkers ?? []) worker.unref();
}

/**
 * Runs `start` (which must bring up the tfjs wasm backend with `threads`) with the bridges above in
 * place. Falls back to `start(1)` when threads are not asked for or this tfjs build is unknown.
 */
export async function withNodeWasmThreads<T>(threads: number, start: (threads: number) => Promise<T>): Promise<T> {
  if (threads <= 1) return start(1);
  let worker: ReturnType<typeof writeNodeWorkerScript>;
  try {
    worker = writeNodeWorkerScript();
  } catch (err) {
    console.warn(`FaceML: cannot write tfjs's worker script (${(err as Error).message}); running on one thread`);
    return start(1);
  }
  if (!worker) {
    console.warn('FaceML: this tfjs-backend-wasm build has an unknown worker script; running on one thread');
    return start(1);
  }
  const createObjectURL = URL.createObjectURL;
  const cpus = os.cpus;
  URL.createObjectURL = (blob: Blob) => (blob.type === 'application/javascript' ? worker.file : createObjectURL(blob));
  os.cpus = () => [...cpus(), ...cpus()];
  try {
    const started = await start(threads);
    trimPool();
    return started;
  } finally {
    URL.createObjectURL = createObjectURL;
    os.cpus = cpus;
    // The pool's workers have read the script by now (tfjs waits for all of them to load).
    worker.dispose();
  }
}
