import type { WxtBrowser as Browser } from 'wxt/browser';
import { sendToTab } from '../messaging';

const CONTENT_SCRIPT = '/content-scripts/content.js';

/**
 * Makes sure the tab's page runs our content script, injecting it only when none answers: a
 * second injection would replace the running one (WXT invalidates the older script), ending a
 * detection session the user has on, e.g. when an image is analysed in a tab that is detecting.
 */
export async function ensureContentScript(browser: Browser, tabId: number): Promise<void> {
  if ((await sendToTab(browser, tabId, 'live', {})).ok) return;
  await browser.scripting.executeScript({ target: { tabId }, files: [CONTENT_SCRIPT] });
}
