import { FaceDetector } from '../../src/core/detector';
import { FaceMLError } from '../../src/core/errors';
import type { OpenCv } from '../../src/core/opencv-types';
import type { SandboxRequest, SandboxResponse } from '../../src/extension/protocol';

/**
 * Runs the Haar detector for the offscreen document, which embeds this page in an iframe and
 * talks to it by postMessage (gray frames in, boxes out). The parent is the only peer: messages
 * from any other window are ignored.
 */
declare global {
  // eslint-disable-next-line no-var
  var cv: (OpenCv & { onRuntimeInitialized?: () => void }) | undefined;
}

let detector: FaceDetector | null = null;
const started = performance.now();

function cvReady(): Promise<{ cv: OpenCv }> {
  return new Promise((resolve, reject) => {
    const cv = globalThis.cv;
    if (!cv) return reject(new Error('opencv.js did not load'));
    // Resolve with a wrapper: cv has a then() that returns itself, so it cannot be awaited.
    if (typeof cv.Mat === 'function') resolve({ cv });
    else cv.onRuntimeInitialized = () => resolve({ cv });
  });
}

function reply(message: SandboxResponse): void {
  window.parent.postMessage(message, '*');
}

window.addEventListener('message', async (event: MessageEvent<SandboxRequest>) => {
  if (event.source !== window.parent) return;
  const msg = event.data;
  if (msg?.kind === 'init') {
    try {
      const { cv } = await cvReady();
      detector?.dispose();
      detector = FaceDetector.create(cv, new Uint8Array(msg.cascade));
      reply({ kind: 'ready', ms: Math.round(performance.now() - started) });
    } catch (err) {
      reply({ kind: 'init-failed', message: (err as Error).message });
    }
  } else if (msg?.kind === 'detect') {
    try {
      if (!detector) throw new FaceMLError('NOT_READY', 'detector not initialised');
      const boxes = detector.detect({ width: msg.width, height: msg.height, data: new Uint8Array(msg.gray) }, msg.options);
      reply({ kind: 'detected', id: msg.id, boxes });
    } catch (err) {
      reply({ kind: 'detect-failed', id: msg.id, code: (err as FaceMLError).code ?? 'INTERNAL', message: (err as Error).message });
    }
  }
});
