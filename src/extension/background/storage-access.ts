import type { WxtBrowser as Browser } from 'wxt/browser';
import { extensionStorage } from '../extension-storage';

/**
 * Extension storage holds every session's URLs, titles and rows, the settings and the model
 * choice; a page that reaches our content script's world (a renderer bug, a hostile page with a
 * foothold) must not read or change them. Content scripts get what they need by message.
 * - Chrome lets content scripts use chrome.storage.local unless told otherwise:
 *   TRUSTED_CONTEXTS leaves it to the extension's own pages and workers.
 * - Firefox has no access levels: FaceML's data lives in the extension origin's IndexedDB
 *   (extension-storage.ts), and what an earlier version left in storage.local moves there now.
 * Resolves true when storage is closed to content scripts.
 */
export async function limitStorageToTrustedContexts(browser: Browser): Promise<boolean> {
  if (import.meta.env.MANIFEST_VERSION === 2) {
    const legacy = await browser.storage.local.get(null);
    const keys = Object.keys(legacy);
    if (keys.length) {
      const { local } = extensionStorage(browser);
      const present = await local.get(keys);
      await local.set(Object.fromEntries(keys.filter((k) => !(k in present)).map((k) => [k, legacy[k]])));
      await browser.storage.local.remove(keys);
    }
    return true;
  }
  const local = browser.storage.local as typeof browser.storage.local & { setAccessLevel?: (o: { accessLevel: string }) => Promise<void> };
  if (typeof local.setAccessLevel !== 'function') return false;
  await local.setAccessLevel({ accessLevel: 'TRUSTED_CONTEXTS' });
  return true;
}
