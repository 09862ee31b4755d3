import { browser } from 'wxt/browser';
import { defineContentScript } from 'wxt/utils/define-content-script';
import { startContentScript } from '../src/extension/content/main';
import { exposeTestHooks } from '../src/extension/test-hooks';

/**
 * Injected by the service worker when the user turns detection on for a tab (activeTab +
 * scripting: no standing access to any site), only when the page has none running yet: WXT's
 * ctx ends an older copy when a newer one starts.
 */
export default defineContentScript({
  matches: ['<all_urls>'],
  registration: 'runtime',
  main(ctx) {
    // What the background's probe reads before injecting (background/content-script.ts): one
    // content script per frame, never a second one ending a running session.
    const flags = globalThis as { __facemlContentRunning?: boolean };
    flags.__facemlContentRunning = true;
    ctx.onInvalidated(() => (flags.__facemlContentRunning = false));
    const { sampler, images } = startContentScript(browser, {
      addEventListener: (target, type, listener, options) => ctx.addEventListener(target, type as never, listener as never, options),
      onInvalidated: (cb) => ctx.onInvalidated(cb),
    });
    exposeTestHooks({ __faceml: sampler, __facemlImages: images.overlays });
  },
});
