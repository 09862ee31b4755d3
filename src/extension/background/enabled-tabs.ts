import type { WxtBrowser as Browser } from 'wxt/browser';

const ENABLED_KEY = 'enabledTabs';

/**
 * The worker's list of tabs with detection on, in storage.session so that a restarted worker
 * knows them, and the toolbar badge that shows it.
 */
export function enabledTabList(browser: Browser) {
  // MV2 (Firefox) names the toolbar button browserAction.
  const action = browser.action ?? (browser as unknown as { browserAction: typeof browser.action }).browserAction;

  async function all(): Promise<number[]> {
    const stored = await browser.storage.session.get(ENABLED_KEY);
    return (stored[ENABLED_KEY] as number[] | undefined) ?? [];
  }
  const includes = async (tabId: number) => (await all()).includes(tabId);

  async function add(tabId: number): Promise<void> {
    const tabs = await all();
    if (!tabs.includes(tabId)) await browser.storage.session.set({ [ENABLED_KEY]: [...tabs, tabId] });
  }

  /** Drops the tab; false when it was not in the list. */
  async function remove(tabId: number): Promise<boolean> {
    const tabs = await all();
    if (!tabs.includes(tabId)) return false;
    await browser.storage.session.set({ [ENABLED_KEY]: tabs.filter((t) => t !== tabId) });
    return true;
  }

  async function setBadge(tabId: number, on: boolean): Promise<void> {
    await action.setBadgeText({ tabId, text: on ? 'ON' : '' }).catch(() => {});
    if (on) await action.setBadgeBackgroundColor({ tabId, color: '#0b7285' }).catch(() => {});
  }

  return { all, includes, add, remove, setBadge };
}
