import type { WxtBrowser as Browser } from 'wxt/browser';

const ENABLED_KEY = 'enabledTabs';
/** Each enabled tab's history session: every frame of the tab writes to it. */
const SESSIONS_KEY = 'tabSessions';

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

  const sessions = async () => ((await browser.storage.session.get(SESSIONS_KEY))[SESSIONS_KEY] as Record<string, string> | undefined) ?? {};

  /** The history session of a tab with detection on (null when off). */
  async function sessionOf(tabId: number): Promise<string | null> {
    return (await includes(tabId)) ? ((await sessions())[tabId] ?? null) : null;
  }

  /** A new history session for a tab being turned on (before its frames are told). */
  async function newSession(tabId: number): Promise<string> {
    const id = crypto.randomUUID();
    await browser.storage.session.set({ [SESSIONS_KEY]: { ...(await sessions()), [tabId]: id } });
    return id;
  }

  async function add(tabId: number): Promise<void> {
    const tabs = await all();
    if (!tabs.includes(tabId)) await browser.storage.session.set({ [ENABLED_KEY]: [...tabs, tabId] });
  }

  /** Drops the tab; false when it was not in the list. */
  async function remove(tabId: number): Promise<boolean> {
    const tabs = await all();
    const stored = await sessions();
    if (tabId in stored) {
      delete stored[tabId];
      await browser.storage.session.set({ [SESSIONS_KEY]: stored });
    }
    if (!tabs.includes(tabId)) return false;
    await browser.storage.session.set({ [ENABLED_KEY]: tabs.filter((t) => t !== tabId) });
    return true;
  }

  async function setBadge(tabId: number, on: boolean): Promise<void> {
    await action.setBadgeText({ tabId, text: on ? 'ON' : '' }).catch(() => {});
    if (on) await action.setBadgeBackgroundColor({ tabId, color: '#0b7285' }).catch(() => {});
  }

  return { all, includes, add, remove, setBadge, sessionOf, newSession };
}
