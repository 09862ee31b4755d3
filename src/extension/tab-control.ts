import type { WxtBrowser as Browser } from 'wxt/browser';
import type { EngineLink } from './engine-link';
import { isOffscreenUrl } from './engine-link';
import { HistoryStore } from '../storage/history';
import { loadSettings, SETTINGS_KEY, siteAllowed } from '../storage/settings';
import { StorageFullError } from '../storage/storage-area';
import { loadModelChoice, MODEL_CHOICE_KEY } from './model-choice';
import { createImageAnalysis, IMAGE_MENU_ID } from './image-analysis';
import {
  isAnalyzeCaptureRequest,
  isHistorySamples,
  isOffscreenStatus,
  isTabStateRequest,
  isToggleRequest,
  type AnalyzeCaptureRequest,
  type AnalyzeFrameResponse,
  type AnalyzeScreenshotRequest,
  type EngineConfig,
  type HistorySamples,
  type HistorySamplesResponse,
  type LiveRequest,
  type LiveSnapshot,
  type OffscreenStatus,
} from './messages';

const CONTENT_SCRIPT = '/content-scripts/content.js';
const ENABLED_KEY = 'enabledTabs';
/** Chrome allows captureVisibleTab about twice a second per window. */
const CAPTURE_INTERVAL_MS = 520;
/** A content script answers at once; a tab that says nothing in this time has none. */
const PAGE_ANSWER_MS = 2000;

/** Answer to 'faceml/tab-state' (popup). */
export interface TabState {
  enabled: boolean;
  /** What the page detects now (faces, frame rate, notices); null when detection is off. */
  live: LiveSnapshot | null;
  engine: Omit<OffscreenStatus, 'type'> | null;
  /** False when the allowed-sites setting excludes this tab's site. */
  allowed: boolean;
}

export interface SetEnabledMessage {
  type: 'faceml/set-enabled';
  enabled: boolean;
}

/**
 * The service worker's job: per-tab on/off (toolbar button, keyboard command, popup), the
 * offscreen document's lifetime (created on demand, closed when no tab needs it), and the
 * engine's loading state. Enabled tabs live in storage.session so a restarted worker knows them.
 */
export function createTabControl(browser: Browser, engine: EngineLink) {
  // MV2 (Firefox) names the toolbar button browserAction and its menu context browser_action.
  const action = browser.action ?? (browser as unknown as { browserAction: typeof browser.action }).browserAction;
  const actionMenuContext = browser.action ? 'action' : 'browser_action';

  async function enabledTabs(): Promise<number[]> {
    const stored = await browser.storage.session.get(ENABLED_KEY);
    return (stored[ENABLED_KEY] as number[] | undefined) ?? [];
  }

  async function setEnabledTabs(tabs: number[]): Promise<void> {
    await browser.storage.session.set({ [ENABLED_KEY]: tabs });
  }

  const ensureOffscreen = () => engine.ensure();

  /** A tab with detection on, or our webcam page, uses the engine. */
  const engineNeeded = async () => (await enabledTabs()).length > 0 || (await engine.ownPagesUsingEngine()) > 0;

  async function closeOffscreenIfUnused(): Promise<void> {
    if (await engineNeeded()) return;
    await engine.close();
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
    await ensureOffscreen();
    await browser.scripting.executeScript({ target: { tabId }, files: [CONTENT_SCRIPT] });
    await browser.tabs.sendMessage(tabId, { type: 'faceml/set-enabled', enabled: true } satisfies SetEnabledMessage);
    const tabs = await enabledTabs();
    if (!tabs.includes(tabId)) await setEnabledTabs([...tabs, tabId]);
    await setBadge(tabId, true);
  }

  async function disable(tabId: number): Promise<void> {
    await browser.tabs.sendMessage(tabId, { type: 'faceml/set-enabled', enabled: false } satisfies SetEnabledMessage).catch(() => {});
    await setEnabledTabs((await enabledTabs()).filter((t) => t !== tabId));
    await setBadge(tabId, false);
    await closeOffscreenIfUnused();
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
  async function pageDetection(tabId: number): Promise<{ state: 'running'; live: LiveSnapshot } | { state: 'off' | 'silent' }> {
    const answer = await Promise.race([
      (browser.tabs.sendMessage(tabId, { type: 'faceml/live' } satisfies LiveRequest) as Promise<LiveSnapshot | undefined>).catch(() => null),
      new Promise<'silent'>((r) => setTimeout(() => r('silent'), PAGE_ANSWER_MS)),
    ]);
    if (answer === 'silent') return { state: 'silent' };
    return answer?.running === true ? { state: 'running', live: answer } : { state: 'off' };
  }

  type PageDetection = Awaited<ReturnType<typeof pageDetection>>;

  /** Whether detection is on: the page's word, or the worker's list when the page is silent. */
  async function isOn(tabId: number, page: PageDetection): Promise<boolean> {
    return page.state === 'silent' ? (await enabledTabs()).includes(tabId) : page.state === 'running';
  }

  const detectionRunning = async (tabId: number) => isOn(tabId, await pageDetection(tabId));

  /** After a page load: a tab we thought on whose page no longer samples is off (badge, engine). */
  async function reconcile(tabId: number): Promise<void> {
    if (!(await enabledTabs()).includes(tabId)) return;
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

  const lastCapture = new Map<number, number>();

  /**
   * Fallback for videos whose pixels the page cannot read (cross-origin): screenshot the visible
   * tab (activeTab allows it for the tab the user turned on) and let the engine analyse the
   * video's rectangle of it.
   */
  async function analyzeCapture(message: AnalyzeCaptureRequest, tab: { id?: number; windowId?: number }): Promise<AnalyzeFrameResponse> {
    if (tab.id === undefined || tab.windowId === undefined || !(await enabledTabs()).includes(tab.id)) {
      return { ok: false, error: { code: 'NOT_ENABLED', message: 'detection is not on for this tab' } };
    }
    const wait = (lastCapture.get(tab.windowId) ?? 0) + CAPTURE_INTERVAL_MS - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    lastCapture.set(tab.windowId, Date.now());
    const frame = await browser.tabs.captureVisibleTab(tab.windowId, { format: 'jpeg', quality: 85 });
    const d = message.devicePixelRatio;
    const { rect } = message;
    const request: AnalyzeScreenshotRequest = {
      type: 'faceml/analyze-screenshot',
      tabId: tab.id,
      videoId: message.videoId,
      frame,
      crop: { x: rect.x * d, y: rect.y * d, width: rect.width * d, height: rect.height * d },
      options: message.options,
    };
    await ensureOffscreen();
    return engine.send<AnalyzeFrameResponse>(request);
  }

  async function forget(tabId: number): Promise<void> {
    const tabs = await enabledTabs();
    if (!tabs.includes(tabId)) return;
    await setEnabledTabs(tabs.filter((t) => t !== tabId));
    await closeOffscreenIfUnused();
  }

  const history = new HistoryStore(browser.storage.local, async () => (await loadSettings(browser.storage.local)).retention);
  browser.storage.onChanged.addListener((changes, area) => {
    // The user lowered retention: apply it now, not only at the next write.
    if (area === 'local' && changes[SETTINGS_KEY]) history.applyRetention().catch((err) => console.error('faceml: retention failed', err));
    // Another emotion model was chosen: restart the engine with it.
    if (area === 'local' && changes[MODEL_CHOICE_KEY]) restartEngine().catch((err) => console.error('faceml: engine restart failed', err));
  });

  async function restartEngine(): Promise<void> {
    if (!(await engine.running())) return;
    await engine.close();
    if (await engineNeeded()) await engine.ensure();
  }

  /** Per-second rows from a tab the user turned on (content script) or from our webcam page. */
  async function saveSamples(message: HistorySamples, sender: { tab?: { id?: number; url?: string; title?: string }; url?: string }): Promise<HistorySamplesResponse> {
    const own = isOwnPage(sender);
    if (!own && (sender.tab?.id === undefined || !(await enabledTabs()).includes(sender.tab.id))) {
      // A tab turned off (or navigated) may still send its last seconds: accept them only for a
      // session this tab already has, never start a new one from a tab that is off.
      const known = (await history.sessions()).some((s) => s.id === message.sessionId);
      if (!known) return { ok: false, error: { code: 'NOT_ENABLED', message: 'detection is not on for this tab' } };
    }
    try {
      const saved = await history.appendSamples({
        sessionId: message.sessionId,
        pageUrl: sender.tab?.url ?? sender.url ?? '',
        title: own ? 'Webcam' : (sender.tab?.title ?? ''),
        rows: message.rows,
      });
      return { ok: true, saved };
    } catch (err) {
      const code = err instanceof StorageFullError ? err.code : 'STORAGE_ERROR';
      return { ok: false, error: { code, message: (err as Error).message } };
    }
  }
  const analyzeImage = createImageAnalysis(browser, engine, history);
  const WEBCAM_MENU_ID = 'faceml-webcam';

  browser.runtime.onInstalled.addListener(() => {
    browser.contextMenus.create({ id: IMAGE_MENU_ID, title: 'Analyze emotions in this image', contexts: ['image'] });
    browser.contextMenus.create({ id: WEBCAM_MENU_ID, title: 'Analyse my webcam', contexts: [actionMenuContext as 'action'] });
  });
  browser.contextMenus.onClicked.addListener((info, tab) => {
    if (info.menuItemId === IMAGE_MENU_ID) {
      analyzeImage(info, tab).catch((err) => console.error('faceml: image analysis failed', err));
    } else if (info.menuItemId === WEBCAM_MENU_ID) {
      void browser.tabs.create({ url: browser.runtime.getURL('/webcam.html' as never) });
    }
  });

  action.onClicked.addListener((tab) => {
    if (tab.id !== undefined) toggle(tab.id).catch((err) => console.error('faceml: toggle failed', err));
  });
  browser.commands?.onCommand.addListener((command, tab) => {
    if (command === 'toggle-detection' && tab?.id !== undefined) toggle(tab.id).catch((err) => console.error('faceml: toggle failed', err));
  });
  browser.tabs.onRemoved.addListener((tabId) => void forget(tabId));
  // A new document (reload, link, typed address) drops the content script and the activeTab
  // grant: the tab is off. An in-page navigation (history.pushState on YouTube, Meet) keeps both,
  // yet Chrome reports it as 'loading' with a url too: so ask the page once it has loaded.
  browser.tabs.onUpdated.addListener((tabId, change) => {
    if (change.status === 'complete') reconcile(tabId).catch((err) => console.error('faceml: tab state check failed', err));
  });

  /** Our own extension pages (popup, webcam, settings), as opposed to content scripts in web pages. */
  const isOwnPage = (sender: { url?: string }) => !!sender.url && sender.url.startsWith(browser.runtime.getURL('/' as never));

  browser.runtime.onMessage.addListener((message: unknown, sender, sendResponse: (r: unknown) => void) => {
    if (sender.id !== browser.runtime.id) return undefined;
    const wantsEngine = (message as { type?: string })?.type === 'faceml/ensure-engine';
    if (wantsEngine && sender.tab?.id !== undefined && !isOwnPage(sender)) {
      // A content script whose engine went away (offscreen document crashed or was closed):
      // recreate it, but only for a tab the user turned on.
      const tabId = sender.tab.id;
      enabledTabs()
        .then((tabs) => (tabs.includes(tabId) ? ensureOffscreen().then(() => ({ ok: true })) : { ok: false, error: 'detection is off for this tab' }))
        .then(sendResponse, (err: Error) => sendResponse({ ok: false, error: err.message }));
      return true;
    }
    if (wantsEngine && isOwnPage(sender)) {
      ensureOffscreen().then(() => sendResponse({ ok: true }), (err: Error) => sendResponse({ ok: false, error: err.message }));
      return true;
    }
    if ((message as { type?: string })?.type === 'faceml/engine-config' && !sender.tab && isOffscreenUrl(sender.url)) {
      loadModelChoice(browser.storage.local).then((model) => sendResponse({ model } satisfies EngineConfig), () => sendResponse({ model: { active: 'builtin', custom: null } }));
      return true;
    }
    if (isOffscreenStatus(message)) {
      const { type: _type, ...rest } = message;
      engine.setStatus(rest);
      return undefined;
    }
    if (isHistorySamples(message)) {
      saveSamples(message, sender).then(sendResponse, (err: Error) =>
        sendResponse({ ok: false, error: { code: 'STORAGE_ERROR', message: err.message } } satisfies HistorySamplesResponse),
      );
      return true;
    }
    if (isAnalyzeCaptureRequest(message) && sender.tab) {
      analyzeCapture(message, sender.tab).then(sendResponse, (err: Error) =>
        sendResponse({ ok: false, error: { code: 'CAPTURE_FAILED', message: `could not capture the tab: ${err.message}` } } satisfies AnalyzeFrameResponse),
      );
      return true;
    }
    if (sender.tab && !isOwnPage(sender)) return undefined; // content scripts may not toggle or query tabs
    if (isToggleRequest(message)) {
      toggle(message.tabId).then((enabled) => sendResponse({ ok: true, enabled }), (err: Error) => sendResponse({ ok: false, error: err.message }));
      return true;
    }
    if (isTabStateRequest(message)) {
      const page = pageDetection(message.tabId);
      Promise.all([page, page.then((p) => isOn(message.tabId, p)), loadSettings(browser.storage.local), browser.tabs.get(message.tabId).catch(() => null)]).then(([p, enabled, settings, tab]) =>
        sendResponse({
          enabled,
          live: p.state === 'running' ? p.live : null,
          engine: engine.status(),
          allowed: siteAllowed(settings, tab?.url),
        } satisfies TabState),
      );
      return true;
    }
    return undefined;
  });

  return { toggle, enable, disable, enabledTabs, analyzeImage, history, engine, engineStatus: () => engine.status() };
}
