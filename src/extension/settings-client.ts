import type { WxtBrowser as Browser } from 'wxt/browser';
import { loadSettings, sanitiseSettings, SETTINGS_KEY, type Settings } from '../storage/settings';

/**
 * Calls `apply` with the user's settings now and after every change (any extension context).
 * Returns the function that stops following them.
 */
export function followSettings(browser: Browser, apply: (settings: Settings) => void): () => void {
  let following = true;
  loadSettings(browser.storage.local)
    .then((settings) => following && apply(settings))
    .catch(() => {
      // storage unreadable: the defaults the caller started with stay in force
    });
  const onChanged = (changes: Record<string, { newValue?: unknown }>, area: string) => {
    if (area === 'local' && changes[SETTINGS_KEY]) apply(sanitiseSettings(changes[SETTINGS_KEY].newValue));
  };
  browser.storage.onChanged.addListener(onChanged);
  return () => {
    following = false;
    browser.storage.onChanged.removeListener(onChanged);
  };
}
