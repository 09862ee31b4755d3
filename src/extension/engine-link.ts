import type { WxtBrowser as Browser } from 'wxt/browser';
import { loadModelChoice } from './model-choice';
import { sendToEngine } from './engine-client';
import type { OffscreenStatus } from './messages';

type Status = Omit<OffscreenStatus, 'type'>;

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
  send<T>(message: unknown): Promise<T>;
  /** Extension pages that use the engine themselves (the webcam page): keep it open for them. */
  ownPagesUsingEngine(): Promise<number>;
  /** Latest status the engine reported (null: none running). */
  status(): Status | null;
  setStatus(status: Status | null): void;
}

const OFFSCREEN_PATH = '/offscreen.html';
export const isOffscreenUrl = (url: string | undefined) => !!url && url.endsWith(OFFSCREEN_PATH);

export function offscreenLink(browser: Browser): EngineLink {
  let creating: Promise<void> | null = null;
  let status: Status | null = null;
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
    send: (message) => sendToEngine(browser, message),
    async ownPagesUsingEngine() {
      const contexts = await browser.runtime.getContexts({ contextTypes: ['TAB' as never] });
      return contexts.filter((c: { documentUrl?: string }) => c.documentUrl?.includes('/webcam.html')).length;
    },
    status: () => status,
    setStatus: (next) => (status = next),
  };
}

/** Firefox: the engine in the background page itself (loaded lazily: tfjs and OpenCV are large). */
export function inPageLink(browser: Browser): EngineLink {
  /** The engine being started or running; null once closed (a later frame starts a new one). */
  let engine: Promise<import('./engine').Engine> | null = null;
  let current: import('./engine').Engine | null = null;
  let listening = false;
  let status: Status | null = null;
  const start = async () => {
    const { createEngine, listenForEngineMessages } = await import('./engine');
    const { createPageDetector } = await import('./page-detector');
    const created = createEngine(browser, {
      createDetector: (cascade) => createPageDetector(browser.runtime.getURL('/vendor/opencv.js' as never), cascade),
      modelChoice: () => loadModelChoice(browser.storage.local),
      onStatus: (next) => (status = next),
    });
    current = created;
    // Content scripts' frames arrive by message, to whichever engine is current (one listener for
    // the page's lifetime); background requests are direct calls (send below).
    if (!listening) {
      listening = true;
      listenForEngineMessages(browser, { handle: (m, s) => current?.handle(m, s) }, { acceptBackgroundRequests: false });
    }
    return created;
  };
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
      status = null;
      await (await closing)?.dispose();
    },
    async send<T>(message: unknown) {
      engine ??= start();
      const answer = (await engine).handle(message, {});
      if (!answer) throw new Error('the engine does not handle this message');
      return (await answer) as T;
    },
    ownPagesUsingEngine: async () => 0,
    status: () => status ?? current?.status() ?? null,
    setStatus: (next) => (status = next),
  };
}
