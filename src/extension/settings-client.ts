import type { WxtBrowser as Browser } from 'wxt/browser';
import { loadSettings, sanitiseSettings, SETTINGS_KEY, type Settings } from '../storage/settings';

/** Calls `apply` with the user's settings now and after every change (any extension context). */
export function followSettings(browser: Browser, apply: (settings: Settings) => void): void {
  loadSettings(browser.storage.local)
    .then(apply)
    .catch(() => {
      // storage unreadable: the defaults the sampler started with stay in force
    });
  browser.storage.onChanged.addListener((changes, area) => {
    if (area === 'local' && changes[SETTINGS_KEY]) apply(sanitiseSettings(changes[SETTINGS_KEY].newValue));
  });
}
