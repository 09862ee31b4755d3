/// <reference lib="webworker" />
import { BlazeFaceDetector } from '../../core/blazeface';
import { FaceMLError } from '../../core/errors';
import { initTensorflow } from '../../core/tf-backend';
import type { DetectorWorkerRequest, SandboxResponse } from '../protocol';
import { fetchGraphModel } from './detector-files';

/**
 * BlazeFace in a dedicated worker of the engine's page: tfjs-wasm of its own (single-threaded,
 * as in the page), the model from the extension's files. Only the page that made this worker can
 * post to it, so every message is the engine's.
 */
export function serveBlazeFace(scope: DedicatedWorkerGlobalScope): void {
  let detector: Promise<BlazeFaceDetector> | null = null;
  const reply = (message: SandboxResponse) => scope.postMessage(message);

  scope.onmessage = async (event: MessageEvent<DetectorWorkerRequest>) => {
    const msg = event.data;
    if (msg?.kind === 'init') {
      const started = performance.now();
      detector ??= initTensorflow({ wasmPath: msg.wasmPath }).then(async () => BlazeFaceDetector.load(await fetchGraphModel(msg.modelFolder)));
      detector.then(
        () => reply({ kind: 'ready', ms: Math.round(performance.now() - started) }),
        (err: Error) => reply({ kind: 'init-failed', message: err.message }),
      );
    } else if (msg?.kind === 'detect') {
      try {
        if (!detector) throw new FaceMLError('NOT_READY', 'detector not initialised');
        const pixels = new Uint8Array(msg.pixels);
        const boxes = await (await detector).detect({ width: msg.width, height: msg.height, data: pixels }, msg.options);
        reply({ kind: 'detected', id: msg.id, boxes });
      } catch (err) {
        reply({ kind: 'detect-failed', id: msg.id, code: (err as FaceMLError).code ?? 'INTERNAL', message: (err as Error).message });
      }
    }
  };
}
