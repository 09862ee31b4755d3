import type { DetectorOptions } from '../../core/detector';
import { FaceMLError } from '../../core/errors';
import { toGray, type Box, type GrayImage, type RgbaImage } from '../../core/image';
import { isGray, type FaceFinder } from '../../core/pipeline';
import type { SandboxRequest, SandboxResponse } from '../protocol';

/**
 * FaceFinder backed by OpenCV.js in a sandboxed iframe (the MV3 CSP forbids the eval that
 * opencv.js needs anywhere else). Gray frames are transferred, not copied.
 */
export class SandboxDetector implements FaceFinder {
  readonly name = 'haar';
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (b: Box[]) => void; reject: (e: Error) => void }>();

  private constructor(private readonly frame: HTMLIFrameElement) {
    window.addEventListener('message', (event: MessageEvent<SandboxResponse>) => {
      if (event.source !== this.frame.contentWindow) return;
      const msg = event.data;
      if (msg?.kind === 'detected' || msg?.kind === 'detect-failed') {
        const waiter = this.pending.get(msg.id);
        if (!waiter) return;
        this.pending.delete(msg.id);
        if (msg.kind === 'detected') waiter.resolve(msg.boxes);
        else waiter.reject(new FaceMLError(msg.code as never, msg.message));
      }
    });
  }

  /** Creates the iframe, loads OpenCV.js in it and the cascade into OpenCV. */
  static async create(sandboxUrl: string, cascade: ArrayBuffer, timeoutMs = 30_000): Promise<SandboxDetector> {
    const frame = document.createElement('iframe');
    frame.src = sandboxUrl;
    frame.style.display = 'none';
    const loaded = new Promise<void>((resolve) => frame.addEventListener('load', () => resolve(), { once: true }));
    document.body.append(frame);
    await loaded;
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new FaceMLError('DETECTOR_LOAD_FAILED', `OpenCV.js sandbox did not start within ${timeoutMs} ms`)), timeoutMs);
      const onMessage = (event: MessageEvent<SandboxResponse>) => {
        if (event.source !== frame.contentWindow) return;
        if (event.data?.kind === 'ready' || event.data?.kind === 'init-failed') {
          clearTimeout(timer);
          window.removeEventListener('message', onMessage);
          if (event.data.kind === 'ready') resolve();
          else reject(new FaceMLError('DETECTOR_LOAD_FAILED', `face detector failed to load: ${event.data.message}`));
        }
      };
      window.addEventListener('message', onMessage);
    });
    const init: SandboxRequest = { kind: 'init', cascade };
    frame.contentWindow!.postMessage(init, '*', [cascade]);
    await ready;
    return new SandboxDetector(frame);
  }

  detect(image: GrayImage | RgbaImage, options?: Partial<DetectorOptions>): Promise<Box[]> {
    const id = this.nextId++;
    // Gray is a quarter of RGBA to send; the caller keeps its image, a copy is transferred.
    const gray = isGray(image) ? { ...image, data: image.data.slice() } : toGray(image);
    const copy = gray.data.buffer as ArrayBuffer;
    const request: SandboxRequest = { kind: 'detect', id, width: gray.width, height: gray.height, gray: copy, options };
    return new Promise<Box[]>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.frame.contentWindow!.postMessage(request, '*', [copy]);
    });
  }
}
