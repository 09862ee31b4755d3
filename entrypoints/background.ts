import { browser } from 'wxt/browser';
import { defineBackground } from 'wxt/utils/define-background';
import { createBackground } from '../src/extension/background';
import { inPageLink, offscreenLink } from '../src/extension/background/engine-link';
import { exposeTestHooks } from '../src/extension/test-hooks';

export default defineBackground(() => {
  // Chrome (MV3) runs the engine in an offscreen document; Firefox (MV2) has none, so the engine
  // runs in the background page itself. The build-time constant drops the other branch's code.
  const engine = import.meta.env.MANIFEST_VERSION === 2 ? inPageLink(browser) : offscreenLink(browser);
  exposeTestHooks({ faceml: createBackground(browser, engine) });
});
