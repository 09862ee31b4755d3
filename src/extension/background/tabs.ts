import type { WxtBrowser as Browser } from 'wxt/browser';
import { sendToTab } from '../messaging';
import type { LiveSnapshot } from '../protocol';
import { loadSettings, siteAllowed } from '../../storage/settings';
import { ensureContentScript } from './content-script';
import type { EngineLink } from './engine-link';

const ENABLED_KEY = 'enabledTabs';
/** A content script answers at once; a tab that says nothing in this time has none. */
const PAGE_ANSWER_MS = 2000;

/** What a tab's page says of detection: running (with what it sees), off, or too busy to answer. */
export type PageDetection = { state: 'running'; live: LiveSnapshot } | { state: 'off' | 'silent' };

/**
 * Per-tab on/off (toolbar button, keyboard command, popup) and the offscreen engine's lifetime
 * (created on demand, closed when no tab needs it). Enabled tabs live in storage.session so a
 * restarted worker knows them.
 */
export function createTabs(browser: Browser, engine: EngineLink) {
  // MV2 (Firefox) names the toolbar button browserAction.
  const action = browser.action ?? (browser as unknown as { browserAction: typeof browser.action }).browserAction;

  async function enabledTabs(): Promise<number[]> {
    const stored = await browser.storage.session.get(ENABLED_KEY);
    return (stored[ENABLED_KEY] as number[] | undefined) ?? [];
  }

  const setEnabledTabs = (tabs: number[]) => browser.storage.session.set({ [ENABLED_KEY]: tabs });
  const isEnabled = async (tabId: number) => (await enabledTabs()).includes(tabId);

  /** A tab with detection on, or our webcam page, uses the engine. */
  const engineNeeded = async () => (await enabledTabs()).length > 0 || (await engine.ownPagesUsingEngine()) > 0;

  async function closeEngineIfUnused(): Promise<void> {
    if (!(await engineNeeded())) await engine.close();
  }

  async function setBadge(tabId: number, on: boolean): Promise<void> {
    await action.setBadgeText({ tabId, text: on ? 'ON' : '' }).catch(() => {});
    if (on) await action.setBadgeBackgroundColor({ tabId, color: '#0b7285' }).catch(() => {});
  }

  async function enable(tabId: number): Promise<void> {
    const settings = await loadSettings(browser.storage.local);
    const tab = await browser.tabs.get(tabId);
    if (!siteAllowed(settings, tab.url)) {
      throw new Error(`FaceML is limited to ${settings.allowedSites.join(', ')} (allowed sites in settings)`);
    }
    await engine.ensure();
    await ensureContentScript(browser, tabId);
    const started = await sendToTab(browser, tabId, 'setEnabled', { enabled: true });
    if (!started.ok) throw new Error(`the page did not start detection: ${started.error.message}`);
    const tabs = await enabledTabs();
    if (!tabs.includes(tabId)) await setEnabledTabs([...tabs, tabId]);
    await setBadge(tabId, true);
  }

  async function disable(tabId: number): Promise<void> {
    await sendToTab(browser, tabId, 'setEnabled', { enabled: false });
    await setEnabledTabs((await enabledTabs()).filter((t) => t !== tabId));
    await setBadge(tabId, false);
    await closeEngineIfUnused();
  }

  /**
   * What detection in this tab sees now, in the page's own words: our content script answers
   * while it lives and samples ('off': no content script, or it is not sampling). The worker's
   * list of enabled tabs only follows tab events, which do not tell an in-page navigation
   * (history.pushState: detection goes on) from a new document (detection is gone) and differ
   * between browsers; the page cannot be wrong. A page too busy to answer in time (a starved
   * machine) is 'silent': then the list is the best guess, never "off" by default, or a press
   * meant to turn detection off would turn it on again.
   */
  async function pageDetection(tabId: number): Promise<PageDetection> {
    const answer = await Promise.race([
      sendToTab(browser, tabId, 'live', {}),
      new Promise<'silent'>((r) => setTimeout(() => r('silent'), PAGE_ANSWER_MS)),
    ]);
    if (answer === 'silent') return { state: 'silent' };
    if (!answer.ok || !answer.running) return { state: 'off' };
    const { ok: _ok, ...live } = answer;
    return { state: 'running', live };
  }

  /** Whether detection is on: the page's word, or the worker's list when the page is silent. */
  const isOn = async (tabId: number, page: PageDetection) => (page.state === 'silent' ? isEnabled(tabId) : page.state === 'running');
  const detectionRunning = async (tabId: number) => isOn(tabId, await pageDetection(tabId));

  async function forget(tabId: number): Promise<void> {
    const tabs = await enabledTabs();
    if (!tabs.includes(tabId)) return;
    await setEnabledTabs(tabs.filter((t) => t !== tabId));
    await closeEngineIfUnused();
  }

  /** After a page load: a tab we thought on whose page no longer samples is off (badge, engine). */
  async function reconcile(tabId: number): Promise<void> {
    if (!(await isEnabled(tabId))) return;
    if (await detectionRunning(tabId)) {
      await setBadge(tabId, true); // an in-page navigation: still on
      return;
    }
    await setBadge(tabId, false);
    await forget(tabId);
  }

  async function toggle(tabId: number): Promise<boolean> {
    const on = await detectionRunning(tabId);
    if (on) await disable(tabId);
    else await enable(tabId);
    return !on;
  }

  /** Another model was chosen: restart a running engine with it. */
  async function restartEngine(): Promise<void> {
    if (!(await engine.running())) return;
    await engine.close();
    if (await engineNeeded()) await engine.ensure();
  }

  return { enabledTabs, isEnabled, enable, disable, toggle, reconcile, forget, pageDetection, isOn, restartEngine };
}

export type Tabs = ReturnType<typeof createTabs>;
