import type { WxtBrowser as Browser } from 'wxt/browser';
import { extensionStorage } from './extension-storage';
import { loadSettings, sanitiseSettings, SETTINGS_KEY, type Settings } from '../storage/settings';

/**
 * Calls `apply` with the user's settings now and after every change (any extension context).
 * Returns the function that stops following them.
 */
export function followSettings(browser: Browser, apply: (settings: Settings) => void): () => void {
  let following = true;
  const storage = extensionStorage(browser);
  loadSettings(storage.local)
    .then((settings) => following && apply(settings))
    .catch(() => {
      // storage unreadable: the defaults the caller started with stay in force
    });
  const stop = storage.onChanged((changes) => {
    if (changes[SETTINGS_KEY]) apply(sanitiseSettings(changes[SETTINGS_KEY].newValue));
  });
  return () => {
    following = false;
    stop();
  };
}
