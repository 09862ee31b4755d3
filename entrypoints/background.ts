import { browser } from 'wxt/browser';
import { defineBackground } from 'wxt/utils/define-background';
import { createTabControl } from '../src/extension/tab-control';

export default defineBackground(() => {
  const control = createTabControl(browser);
  // Tests call the same functions the toolbar button and keyboard command call.
  (globalThis as Record<string, unknown>).faceml = control;
});
