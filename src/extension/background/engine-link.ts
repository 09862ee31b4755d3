import type { WxtBrowser as Browser } from 'wxt/browser';
import { dispatch, listen, send, type Handlers } from '../messaging';
import { failure, toWire, type EngineStatus, type RequestOf, type ResponseOf } from '../protocol';
import { extensionStorage } from '../extension-storage';
import { loadModelChoice } from '../model-choice';
import { loadSettings } from '../../storage/settings';
import type { Engine, EngineMessage } from '../engine/engine';

/** What the background asks of the engine itself. */
export type BackgroundRequest = 'analyzeScreenshot' | 'analyzeImage';

/**
 * How the background reaches the detection engine. Chrome (MV3): an offscreen document, created
 * on demand and closed when unused. Firefox (MV2): no offscreen documents, but the background
 * page has a DOM, so the engine runs right there, started on first use.
 */
export interface EngineLink {
  ensure(): Promise<void>;
  running(): Promise<boolean>;
  close(): Promise<void>;
  /** Sends a background request (image analysis, tab capture) to the engine. */
  request<N extends BackgroundRequest>(name: N, request: RequestOf<N>): Promise<ResponseOf<N>>;
  /** Extension pages that use the engine themselves (the webcam page): keep it open for them. */
  ownPagesUsingEngine(): Promise<number>;
  /** Latest status the engine reported (null: none running). */
  status(): EngineStatus | null;
  setStatus(status: EngineStatus | null): void;
}

const OFFSCREEN_PATH = '/offscreen.html';
/** Right after createDocument resolves, the document may not listen yet: retry this long. */
const ENGINE_START_MS = 5000;

export function offscreenLink(browser: Browser): EngineLink {
  let creating: Promise<void> | null = null;
  let status: EngineStatus | null = null;
  const documents = () => browser.runtime.getContexts({ contextTypes: ['OFFSCREEN_DOCUMENT' as never] });
  return {
    async ensure() {
      if ((await documents()).length > 0) return;
      creating ??= browser.offscreen
        .createDocument({
          url: OFFSCREEN_PATH,
          reasons: ['IFRAME_SCRIPTING' as never],
          justification: 'Runs the face detector (OpenCV.js in a sandboxed iframe) and the emotion model on this device.',
        })
        .finally(() => (creating = null));
      await creating;
    },
    running: async () => (await documents()).length > 0,
    async close() {
      if ((await documents()).length > 0) await browser.offscreen.closeDocument();
      status = null;
    },
    async request(name, request) {
      const end = Date.now() + ENGINE_START_MS;
      for (;;) {
        const answer = await send(browser, name, request);
        if (answer.ok || answer.error.code !== 'NO_RECEIVER' || Date.now() > end) return answer;
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async ownPagesUsingEngine() {
      const contexts = await browser.runtime.getContexts({ contextTypes: ['TAB' as never] });
      return contexts.filter((c: { documentUrl?: string }) => c.documentUrl?.includes('/webcam.html')).length;
    },
    status: () => status,
    setStatus: (next) => (status = next),
  };
}

const ENGINE_MESSAGES: EngineMessage[] = ['analyzeFrame', 'analyzeScreenshot', 'analyzeImage', 'videoRemoved', 'engineStatus'];

/** Firefox: the engine in the background page itself (loaded lazily: tfjs and OpenCV are large). */
export function inPageLink(browser: Browser): EngineLink {
  /** The engine being started or running; null once closed (a later request starts a new one). */
  let engine: Promise<Engine> | null = null;
  let current: Engine | null = null;
  const start = async () => {
    const { createEngine } = await import('../engine/engine');
    const { createPageDetector } = await import('../engine/page-detector');
    current = createEngine(browser, {
      createHaarDetector: (cascade) => createPageDetector(browser.runtime.getURL('/vendor/opencv.js' as never), cascade),
      engineConfig: async () => {
        const { local } = extensionStorage(browser);
        const [model, settings] = await Promise.all([loadModelChoice(local), loadSettings(local)]);
        return { model, detector: settings.detector };
      },
      onStatus: () => {},
    });
    return current;
  };
  // Content scripts' frames arrive by message, to whichever engine is current: one table for the
  // page's lifetime, forwarding each engine message (none is running: a Failure, as in Chrome).
  const forward = Object.fromEntries(
    ENGINE_MESSAGES.map((name) => [
      name,
      (request: never, sender: never) => (current ? current.handlers[name](request, sender) : failure('ENGINE_UNAVAILABLE', 'the detection engine is not running')),
    ]),
  ) as unknown as Handlers<EngineMessage>;
  listen(browser, forward);
  return {
    async ensure() {
      engine ??= start();
      await engine;
    },
    running: async () => engine !== null,
    async close() {
      const closing = engine;
      engine = null;
      current = null;
      await (await closing)?.dispose();
    },
    async request(name, request) {
      engine ??= start();
      const started = await engine;
      return (await dispatch(started.handlers, toWire(name, request), { kind: 'background' })) as ResponseOf<typeof name>;
    },
    ownPagesUsingEngine: async () => 0,
    status: () => current?.status() ?? null,
    setStatus: () => {},
  };
}
