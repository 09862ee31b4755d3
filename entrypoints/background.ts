import { browser } from 'wxt/browser';
import { defineBackground } from 'wxt/utils/define-background';
import { inPageLink, offscreenLink } from '../src/extension/engine-link';
import { createTabControl } from '../src/extension/tab-control';

export default defineBackground(() => {
  // Chrome (MV3) runs the engine in an offscreen document; Firefox (MV2) has none, so the engine
  // runs in the background page itself. The build-time constant drops the other branch's code.
  const engine = import.meta.env.MANIFEST_VERSION === 2 ? inPageLink(browser) : offscreenLink(browser);
  const control = createTabControl(browser, engine);
  // Tests call the same functions the toolbar button and keyboard command call.
  (globalThis as Record<string, unknown>).faceml = control;
});
