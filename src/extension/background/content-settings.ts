import type { WxtBrowser as Browser } from 'wxt/browser';
import { loadSettings } from '../../storage/settings';
import { extensionStorage } from '../extension-storage';
import { sendToTab } from '../messaging';

/**
 * Content scripts may not read extension storage (storage-access.ts), so the background hands
 * them the settings: on request at start (contentSettings) and, after a change, to every tab (a
 * tab without our content script just does not answer).
 */
export async function pushSettingsToPages(browser: Browser): Promise<void> {
  const settings = await loadSettings(extensionStorage(browser).local);
  const tabs = await browser.tabs.query({});
  await Promise.all(tabs.map((tab) => (tab.id === undefined ? undefined : sendToTab(browser, tab.id, 'applySettings', { settings }))));
}
