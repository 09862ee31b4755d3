import type { WxtBrowser as Browser } from 'wxt/browser';

/**
 * Extension storage holds every session's URLs, titles and rows, the settings and the model
 * choice. Chrome lets content scripts read and write chrome.storage.local unless the extension
 * says otherwise; a page that reaches our content script's world (a renderer bug, a hostile
 * page with a foothold) must not. TRUSTED_CONTEXTS leaves it to the extension's own pages and
 * workers; content scripts get what they need by message. Firefox has no setAccessLevel: there
 * content scripts keep storage access (SECURITY.md says so).
 */
export async function limitStorageToTrustedContexts(browser: Browser): Promise<boolean> {
  const local = browser.storage.local as typeof browser.storage.local & { setAccessLevel?: (o: { accessLevel: string }) => Promise<void> };
  if (typeof local.setAccessLevel !== 'function') return false;
  await local.setAccessLevel({ accessLevel: 'TRUSTED_CONTEXTS' });
  return true;
}
