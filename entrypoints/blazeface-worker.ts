import { defineUnlistedScript } from 'wxt/utils/define-unlisted-script';
import { serveBlazeFace } from '../src/extension/engine/blazeface-worker';

/** The BlazeFace face detector's worker (src/extension/engine/worker-detector.ts starts it). */
export default defineUnlistedScript(() => serveBlazeFace(self as unknown as DedicatedWorkerGlobalScope));
