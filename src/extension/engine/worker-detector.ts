import type { DetectorOptions } from '../../core/detector';
import { FaceMLError } from '../../core/errors';
import type { Box, GrayImage, RgbaImage } from '../../core/image';
import { isGray, type FaceFinder } from '../../core/pipeline';
import type { DetectorWorkerRequest, SandboxResponse } from '../protocol';

/**
 * FaceFinder backed by BlazeFace in a dedicated worker (blazeface-worker.ts). tfjs-wasm runs one
 * thread per page here (its threaded build cannot start workers under the extension CSP), so a
 * detector on the engine's own thread would stall classification: in a worker it runs on the
 * other core, as the Haar cascade does in its sandbox iframe.
 */
export class WorkerDetector implements FaceFinder {
  readonly name = 'blazeface';
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (b: Box[]) => void; reject: (e: Error) => void }>();

  private constructor(private readonly worker: Worker) {
    worker.addEventListener('message', (event: MessageEvent<SandboxResponse>) => {
      const msg = event.data;
      if (msg?.kind !== 'detected' && msg?.kind !== 'detect-failed') return;
      const waiter = this.pending.get(msg.id);
      if (!waiter) return;
      this.pending.delete(msg.id);
      if (msg.kind === 'detected') waiter.resolve(msg.boxes);
      else waiter.reject(new FaceMLError(msg.code as never, msg.message));
    });
    // A worker that dies fails every waiting call instead of leaving it pending forever.
    worker.addEventListener('error', (event) => {
      for (const waiter of this.pending.values()) waiter.reject(new FaceMLError('DETECTOR_LOAD_FAILED', `face detector worker failed: ${event.message}`));
      this.pending.clear();
    });
  }

  /** Starts the worker (the built /blazeface-worker.js) and loads tfjs and the model in it (extension URLs; folders end in '/'). */
  static async create(workerUrl: string, wasmPath: string, modelFolder: string, timeoutMs = 30_000): Promise<WorkerDetector> {
    const worker = new Worker(workerUrl);
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new FaceMLError('DETECTOR_LOAD_FAILED', `BlazeFace worker did not start within ${timeoutMs} ms`)), timeoutMs);
        worker.addEventListener('message', (event: MessageEvent<SandboxResponse>) => {
          if (event.data?.kind !== 'ready' && event.data?.kind !== 'init-failed') return;
          clearTimeout(timer);
          if (event.data.kind === 'ready') resolve();
          else reject(new FaceMLError('DETECTOR_LOAD_FAILED', `face detector failed to load: ${event.data.message}`));
        });
        worker.addEventListener('error', (event) => {
          clearTimeout(timer);
          reject(new FaceMLError('DETECTOR_LOAD_FAILED', `face detector worker failed to start: ${event.message}`));
        });
        worker.postMessage({ kind: 'init', wasmPath, modelFolder } satisfies DetectorWorkerRequest);
      });
    } catch (err) {
      worker.terminate();
      throw err;
    }
    return new WorkerDetector(worker);
  }

  detect(image: GrayImage | RgbaImage, options?: Partial<DetectorOptions>): Promise<Box[]> {
    const id = this.nextId++;
    const gray = isGray(image);
    const pixels = image.data.slice(0, image.width * image.height * (gray ? 1 : 4)).buffer as ArrayBuffer; // the caller keeps its image
    const request: DetectorWorkerRequest = { kind: 'detect', id, width: image.width, height: image.height, channels: gray ? 1 : 4, pixels, options };
    return new Promise<Box[]>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage(request, [pixels]);
    });
  }

  dispose(): void {
    this.worker.terminate();
    for (const waiter of this.pending.values()) waiter.reject(new FaceMLError('NOT_READY', 'the face detector was closed'));
    this.pending.clear();
  }
}
