import { browser } from 'wxt/browser';
import { defineContentScript } from 'wxt/utils/define-content-script';
import { isLiveRequest, isShowImageResult } from '../src/extension/messages';
import { followSettings } from '../src/extension/settings-client';
import { MediaOverlay } from '../src/extension/overlay';
import { VideoSampler } from '../src/extension/video-sampler';

/**
 * Injected by the service worker when the user turns detection on for a tab (activeTab +
 * scripting: no standing access to any site). Injection may happen more than once per page.
 */
export default defineContentScript({
  matches: ['<all_urls>'],
  registration: 'runtime',
  main() {
    const g = globalThis as { __faceml?: VideoSampler; __facemlImages?: Map<HTMLImageElement, MediaOverlay> };
    if (g.__faceml) return;
    // Results of "Analyze emotions in this image", kept aligned on scroll and resize.
    const images = new Map<HTMLImageElement, MediaOverlay>();
    g.__facemlImages = images;
    const sampler = new VideoSampler(browser);
    g.__faceml = sampler;
    followSettings(browser, (settings) => {
      sampler.applySettings(settings);
      for (const overlay of images.values()) overlay.setLook({ style: settings.overlayStyle, confidenceThreshold: settings.confidenceThreshold });
    });
    // Leaving the page: send the last seconds to history, and stop. A page kept in the back-forward
    // cache comes back with detection off, as the worker (which saw the navigation) believes.
    addEventListener('pagehide', () => {
      sampler.stop();
      void sampler.flushHistory(true);
    });
    const realign = () => images.forEach((overlay) => overlay.render());
    addEventListener('scroll', realign, { passive: true, capture: true });
    addEventListener('resize', realign, { passive: true });
    browser.runtime.onMessage.addListener((message: unknown, sender, sendResponse: (r: unknown) => void) => {
      if (sender.id !== browser.runtime.id) return undefined;
      if (isLiveRequest(message)) {
        sendResponse(sampler.live());
        return undefined;
      }
      const m = message as { type?: string; enabled?: boolean };
      if (isShowImageResult(message)) {
        const img = [...document.images].find((i) => i.currentSrc === message.srcUrl || i.src === message.srcUrl);
        if (img) {
          const overlay = images.get(img) ?? new MediaOverlay(img);
          images.set(img, overlay);
          const { width, height } = { width: message.width, height: message.height };
          if (message.faces.length) overlay.show(message.faces, width, height, message.notSaved ? `FaceML: not saved to history: ${message.notSaved}` : null);
          else overlay.showNotice('FaceML: no face found');
        }
        return undefined;
      }
      if (m?.type === 'faceml/set-enabled') {
        if (m.enabled) sampler.start();
        else sampler.stop();
      }
      return undefined;
    });
  },
});
