import type { WxtBrowser as Browser } from 'wxt/browser';
import { listen, send, type Handlers } from '../messaging';
import { sanitiseSettings, type Settings } from '../../storage/settings';
import { ImageResults } from './image-results';
import { painted } from './timing';
import { VideoSampler } from './video-sampler';

/** The messages a content script answers. */
export type ContentMessage = 'setEnabled' | 'live' | 'showImageResult' | 'prepareCapture' | 'applySettings';

/** What WXT's content-script context gives us: listeners and an end that stop together. */
export interface ContentLifetime {
  addEventListener: (target: Window, type: string, listener: (event: Event) => void, options?: AddEventListenerOptions) => void;
  onInvalidated: (cb: () => void) => void;
}

/**
 * The content script's job, started once per page by the entrypoint: a sampler for the page's
 * videos, results over right-clicked images, and the messages the background sends to the page.
 * Everything it adds is tied to `lifetime`: when the extension goes away (update, reload) or the
 * page is left, every listener, timer and overlay goes with it.
 */
export function startContentScript(browser: Browser, lifetime: ContentLifetime): { sampler: VideoSampler; images: ImageResults } {
  const sampler = new VideoSampler(browser);
  const images = new ImageResults();
  // Settings come from the background (this context may not read extension storage): asked for
  // once now, then pushed on every change.
  const applySettings = (settings: Settings) => {
    sampler.applySettings(settings);
    images.setLook({ style: settings.overlayStyle, confidenceThreshold: settings.confidenceThreshold });
  };
  let live = true;
  void send(browser, 'contentSettings', {}).then((answer) => live && answer.ok && applySettings(sanitiseSettings(answer.settings)));
  // Leaving the page: send the last seconds to history, and stop. A page kept in the back-forward
  // cache comes back with detection off, as the worker (which saw the navigation) believes.
  lifetime.addEventListener(window, 'pagehide', () => sampler.stop());
  lifetime.addEventListener(window, 'scroll', () => images.realign(), { passive: true, capture: true });
  lifetime.addEventListener(window, 'resize', () => images.realign(), { passive: true });
  const handlers: Handlers<ContentMessage> = {
    setEnabled({ enabled }) {
      if (enabled) sampler.start();
      else sampler.stop();
      return { ok: true };
    },
    live: () => ({ ok: true, ...sampler.live() }),
    applySettings({ settings }) {
      applySettings(sanitiseSettings(settings));
      return { ok: true };
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
