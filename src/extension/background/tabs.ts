import type { WxtBrowser as Browser } from 'wxt/browser';
import { extensionStorage } from '../extension-storage';
import { sendToTab } from '../messaging';
import { loadSettings, siteAllowed } from '../../storage/settings';
import { ensureContentScript, forgetFrames, frameIdsOf, originsOf, reachedFrames } from './content-script';
import { enabledTabList } from './enabled-tabs';
import type { EngineLink } from './engine-link';
import { pageDetection, type PageDetection } from './page-detection';

export type { PageDetection } from './page-detection';

/**
 * Per-tab on/off (toolbar button, keyboard command, popup) and the offscreen engine's lifetime
 * (created on demand, closed when no tab needs it).
 */
export function createTabs(browser: Browser, engine: EngineLink) {
  const list = enabledTabList(browser);

  /** A tab with detection on, or our webcam page, uses the engine. */
  const engineNeeded = async () => (await list.all()).length > 0 || (await engine.ownPagesUsingEngine()) > 0;

  async function closeEngineIfUnused(): Promise<void> {
    if (!(await engineNeeded())) await engine.close();
  }

  async function enable(tabId: number): Promise<void> {
    const settings = await loadSettings(extensionStorage(browser).local);
    const tab = await browser.tabs.get(tabId);
    if (!siteAllowed(settings, tab.url)) {
      throw new Error(`FaceML is limited to ${settings.allowedSites.join(', ')} (allowed sites in settings)`);
    }
    await engine.ensure();
    const frames = await ensureContentScript(browser, tabId);
    const sessionId = await list.newSession(tabId);
    // Every frame FaceML runs in starts, in one history session; frames loaded later join it
    // when they start (contentSettings).
    const [started] = await Promise.all(frameIdsOf(frames).map((frameId) => sendToTab(browser, tabId, 'setEnabled', { enabled: true, sessionId }, frameId)));
    if (!started.ok) throw new Error(`the page did not start detection: ${started.error.message}`);
    await list.add(tabId);
    await list.setBadge(tabId, true);
  }

  /** Runs the content script in frames added since (a content script or the popup asks); their origins. */
  async function reachFrames(tabId: number): Promise<string[]> {
    return originsOf((await list.includes(tabId)) ? await ensureContentScript(browser, tabId) : await reachedFrames(browser, tabId));
  }

  async function disable(tabId: number): Promise<void> {
    const frames = await reachedFrames(browser, tabId);
    await Promise.all(frameIdsOf(frames).map((frameId) => sendToTab(browser, tabId, 'setEnabled', { enabled: false }, frameId)));
    await list.remove(tabId);
    await list.setBadge(tabId, false);
    await closeEngineIfUnused();
  }

  /** Whether detection is on: the page's word, or the worker's list when the page is silent. */
  const isOn = async (tabId: number, page: PageDetection) => (page.state === 'silent' ? list.includes(tabId) : page.state === 'running');
  const detectionRunning = async (tabId: number) => isOn(tabId, await pageDetection(browser, tabId));

  async function forget(tabId: number): Promise<void> {
    await forgetFrames(browser, tabId);
    if (await list.remove(tabId)) await closeEngineIfUnused();
  }

  /** After a page load: a tab we thought on whose page no longer samples is off (badge, engine). */
  async function reconcile(tabId: number): Promise<void> {
    if (!(await list.includes(tabId))) return;
    if (await detectionRunning(tabId)) {
      await list.setBadge(tabId, true); // an in-page navigation: still on
      return;
    }
    await list.setBadge(tabId, false);
    await forget(tabId);
  }

  async function toggle(tabId: number): Promise<boolean> {
    const on = await detectionRunning(tabId);
    if (on) await disable(tabId);
    else await enable(tabId);
    return !on;
  }

  /**
   * The allowed sites changed: a tab that is on for a site no longer allowed is turned off, so
   * that its badge, its page and the popup agree.
   */
  async function enforceAllowedSites(): Promise<void> {
    const settings = await loadSettings(extensionStorage(browser).local);
    for (const tabId of await list.all()) {
      const tab = await browser.tabs.get(tabId).catch(() => null);
      if (!tab || !siteAllowed(settings, tab.url)) await disable(tabId);
    }
  }

  /** Another model was chosen: restart a running engine with it. */
  async function restartEngine(): Promise<void> {
    if (!(await engine.running())) return;
    await engine.close();
    if (await engineNeeded()) await engine.ensure();
  }

  return {
    enabledTabs: list.all,
    isEnabled: list.includes,
    sessionOf: list.sessionOf,
    reachFrames,
    enable,
    disable,
    toggle,
    reconcile,
    forget,
    pageDetection: (tabId: number) => pageDetection(browser, tabId),
    isOn,
    restartEngine,
    enforceAllowedSites,
  };
}

export type Tabs = ReturnType<typeof createTabs>;
