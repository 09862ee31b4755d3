import type { WxtBrowser as Browser } from 'wxt/browser';
import { listen, send, type Handlers } from '../messaging';
import { sanitiseSettings, type Settings } from '../../storage/settings';
import type { ContentPlace } from '../protocol';
import { ImageResults, locateImage } from './image-results';
import { shadowOpener } from './media-sources';
import { painted } from './timing';
import { VideoSampler } from './video-sampler';

/** The messages a content script answers. */
export type ContentMessage = 'setEnabled' | 'live' | 'showImageResult' | 'prepareCapture' | 'applySettings' | 'locateImage';

/** What WXT's content-script context gives us: listeners and an end that stop together. */
export interface ContentLifetime {
  addEventListener: (target: Window, type: string, listener: (event: Event) => void, options?: AddEventListenerOptions) => void;
  onInvalidated: (cb: () => void) => void;
}

/**
 * The content script's job, started once per frame by the entrypoint (the background runs it in
 * every frame of the tab it may script): a sampler for the frame's videos and canvases, results
 * over right-clicked images, and the messages the background sends to the frame.
 * Everything it adds is tied to `lifetime`: when the extension goes away (update, reload) or the
 * page is left, every listener, timer and overlay goes with it.
 */
export function startContentScript(browser: Browser, lifetime: ContentLifetime): { sampler: VideoSampler; images: ImageResults } {
  const topFrame = window === window.top;
  /** False once this content script's context has ended. */
  let live = true;
  /** This frame's id in the tab, from the background (0: the top frame). */
  let frameId = 0;
  const place = ({ frameId, reachedOrigins }: Pick<ContentPlace, 'frameId' | 'reachedOrigins'>) =>
    sampler.setPlace({ idPrefix: frameId ? `f${frameId}.` : '', numberBase: frameId * 1000, reachedOrigins: new Set(reachedOrigins) });
  // The top frame asks the background to run FaceML in frames added or navigated since, and
  // learns which frames it runs in (the others are analysed from tab captures, here).
  const reachFrames = async () => {
    const answer = await send(browser, 'reachFrames', {});
    if (live && answer.ok) place({ frameId, reachedOrigins: answer.reachedOrigins });
  };
  const sampler = new VideoSampler(browser, { openShadow: shadowOpener(browser), topFrame, onFramesChanged: topFrame ? () => void reachFrames() : undefined });
  const images = new ImageResults();
  // Settings come from the background (this context may not read extension storage): asked for
  // once now, then pushed on every change.
  const applySettings = (settings: Settings) => {
    sampler.applySettings(settings);
    images.setLook({ style: settings.overlayStyle, confidenceThreshold: settings.confidenceThreshold });
  };
  void send(browser, 'contentSettings', {}).then((answer) => {
    if (!live || !answer.ok) return;
    applySettings(sanitiseSettings(answer.settings));
    frameId = answer.frameId;
    place(answer);
    // A frame loaded while detection is on (a player added to a call page) joins the session.
    if (answer.sessionId) sampler.start(answer.sessionId);
  });
  if (topFrame) {
    // A frame's 'load' (a new document in it) does not bubble, but is seen on the way down.
    lifetime.addEventListener(window, 'load', (e) => sampler.running && (e.target as Element)?.localName === 'iframe' && void reachFrames(), { capture: true });
  }
  // Leaving the page: send the last seconds to history, and stop. A page kept in the back-forward
  // cache comes back with detection off, as the worker (which saw the navigation) believes.
  lifetime.addEventListener(window, 'pagehide', () => sampler.stop());
  lifetime.addEventListener(window, 'scroll', () => images.realign(), { passive: true, capture: true });
  lifetime.addEventListener(window, 'resize', () => images.realign(), { passive: true });
  const handlers: Handlers<ContentMessage> = {
    setEnabled({ enabled, sessionId }) {
      if (enabled) sampler.start(sessionId);
      else sampler.stop();
      return { ok: true };
    },
    live: () => ({ ok: true, ...sampler.live() }),
    applySettings({ settings }) {
      applySettings(sanitiseSettings(settings));
      return { ok: true };
    },
    async locateImage({ srcUrl }) {
      const where = locateImage(srcUrl);
      if (!where) return { ok: true, found: false as const };
      await painted(); // the capture that follows must show the image where it is now
      const again = locateImage(srcUrl);
      return again ? { ok: true, found: true as const, ...again } : { ok: true, found: false as const };
    },
    showImageResult(result) {
      images.show(result);
      return { ok: true };
    },
    // Around a tab capture: the picture must hold the page only, so the overlays are hidden and
    // that is painted before the background takes it.
    async prepareCapture({ hidden }) {
      sampler.setOverlaysHidden(hidden);
      images.setHidden(hidden);
      if (hidden) await painted();
      return { ok: true };
    },
  };
  const stopListening = listen(browser, handlers);
  lifetime.onInvalidated(() => {
    stopListening();
    live = false;
    sampler.stop();
    images.removeAll();
  });
  return { sampler, images };
}
