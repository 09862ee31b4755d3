import type { Background } from './background';
import type { ImageResults } from './content/image-results';
import type { VideoSampler } from './content/video-sampler';

/**
 * The globals that tests, benchmarks and checks outside the test suite read, gathered here.
 * Entrypoints install them; nothing in the extension reads them back, so production behaviour
 * does not depend on this module. Names and shapes are kept stable for those readers:
 * - service worker `faceml`: the functions the toolbar button, menus and popup call;
 * - content script `__faceml` (the page's sampler: `snapshot()` lists each analysed source with
 *   its `id`, `mode` and `faces` with `emotion`, `faceId` and on-screen `rect` in viewport px;
 *   `live()`, `stats()`, `unsavedRows`, `flushHistory()`) and `__facemlImages` (image overlays);
 * - offscreen document `__facemlEngine`: tensor memory and stream count;
 * - webcam page `__facemlWebcam` (its sampler), side panel `__facemlPanel` (its extension API).
 */
export interface TestHooks {
  faceml: Background;
  __faceml: VideoSampler;
  __facemlImages: ImageResults['overlays'];
  __facemlEngine: { memory: () => { numTensors: number; numBytes: number }; trackers: () => number };
  __facemlWebcam: VideoSampler;
  __facemlPanel: unknown;
}

export function exposeTestHooks(hooks: Partial<TestHooks>): void {
  Object.assign(globalThis, hooks);
}
