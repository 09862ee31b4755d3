import { browser } from 'wxt/browser';
import { defineContentScript } from 'wxt/utils/define-content-script';
import { VideoSampler } from '../src/extension/video-sampler';

/**
 * Injected by the service worker when the user turns detection on for a tab (activeTab +
 * scripting: no standing access to any site). Injection may happen more than once per page.
 */
export default defineContentScript({
  matches: ['<all_urls>'],
  registration: 'runtime',
  main() {
    const g = globalThis as { __faceml?: VideoSampler };
    if (g.__faceml) return;
    const sampler = new VideoSampler(browser);
    g.__faceml = sampler;
    browser.runtime.onMessage.addListener((message: unknown, sender) => {
      if (sender.id !== browser.runtime.id) return undefined;
      const m = message as { type?: string; enabled?: boolean };
      if (m?.type === 'faceml/set-enabled') {
        if (m.enabled) sampler.start();
        else sampler.stop();
      }
      return undefined;
    });
  },
});
