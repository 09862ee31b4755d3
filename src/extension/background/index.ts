import type { WxtBrowser as Browser } from 'wxt/browser';
import { HistoryStore } from '../../storage/history';
import { loadSettings, sanitiseSettings, SETTINGS_KEY, siteAllowed } from '../../storage/settings';
import { extensionStorage } from '../extension-storage';
import { listen, type Handlers } from '../messaging';
import { loadModelChoice, MODEL_CHOICE_KEY } from '../model-choice';
import { failure, type MessageName } from '../protocol';
import { createTabCapture } from './capture';
import type { EngineLink } from './engine-link';
import { pushSettingsToPages } from './content-settings';
import { createHistorySink } from './history-sink';
import { createImageAnalysis } from './image-analysis';
import { registerMenus } from './menus';
import { limitStorageToTrustedContexts } from './storage-access';
import { createTabs } from './tabs';
import { originsOf, reachedFrames } from './content-script';
import { scaleBox } from '../../core/image';

/** The messages the background answers. */
export type BackgroundMessage = Extract<MessageName, 'analyzeCapture' | 'historySamples' | 'ensureEngine' | 'engineStatusChanged' | 'engineConfig' | 'contentSettings' | 'reachFrames' | 'toggle' | 'tabState'>;

/**
 * The service worker (Chrome) or background page (Firefox): wires tabs, captures, history, menus
 * and the engine link to their messages and browser events. Returns what tests call (the same
 * functions the toolbar button, menus and popup reach).
 */
export function createBackground(browser: Browser, engine: EngineLink) {
  // Before anything else runs: no content script may read or write extension storage.
  const storageLocked = limitStorageToTrustedContexts(browser).catch((err) => (console.error('faceml: storage access level not set', err), false));
  const tabs = createTabs(browser, engine);
  const captureTab = createTabCapture(browser);
  const storage = extensionStorage(browser);
  const { local } = storage;
  const history = new HistoryStore(local, async () => (await loadSettings(local)).retention);
  const saveSamples = createHistorySink(browser, history, tabs);
  const analyzeImage = createImageAnalysis(browser, engine, history, captureTab);
  registerMenus(browser, tabs, analyzeImage);

  const handlers: Handlers<BackgroundMessage> = {
    /**
     * Fallback for videos whose pixels the page cannot read (cross-origin): screenshot the
     * visible tab (activeTab allows it for the tab the user turned on) and let the engine
     * analyse the video's rectangle of it.
     */
    async analyzeCapture({ videoId, rect, devicePixelRatio, options }, sender) {
      const tab = sender.tab;
      if (tab?.id === undefined || tab.windowId === undefined || !(await tabs.isEnabled(tab.id))) return failure('NOT_ENABLED', 'detection is not on for this tab');
      let frame: string;
      try {
        frame = await captureTab({ id: tab.id, windowId: tab.windowId });
      } catch (err) {
        return failure('CAPTURE_FAILED', `could not capture the tab: ${(err as Error).message}`);
      }
      await engine.ensure();
      return engine.request('analyzeScreenshot', { tabId: tab.id, videoId, frame, crop: scaleBox(rect, devicePixelRatio), options });
    },
    historySamples: saveSamples,
    // A page whose engine went away (offscreen document crashed or was closed) asks for a new
    // one: a content script only for a tab the user turned on; our own pages (webcam) always.
    async ensureEngine(_request, sender) {
      if (sender.kind === 'content' && !(sender.tab?.id !== undefined && (await tabs.isEnabled(sender.tab.id)))) return failure('NOT_ENABLED', 'detection is off for this tab');
      await engine.ensure();
      return { ok: true };
    },
    engineStatusChanged(status) {
      engine.setStatus(status);
      return { ok: true };
    },
    async contentSettings(_request, sender) {
      const tabId = sender.tab?.id;
      const [settings, sessionId, frames] = await Promise.all([
        loadSettings(local),
        tabId === undefined ? null : tabs.sessionOf(tabId),
        tabId === undefined ? [] : reachedFrames(browser, tabId),
      ]);
      return { ok: true, settings, frameId: sender.frameId ?? 0, sessionId, reachedOrigins: originsOf(frames) };
    },
    async reachFrames({ tabId }, sender) {
      // A content script speaks for its own tab only.
      const id = sender.kind === 'content' ? sender.tab?.id : tabId;
      if (id === undefined) return failure('INVALID_ARGUMENT', 'no tab');
      return { ok: true, reachedOrigins: await tabs.reachFrames(id) };
    },
    async engineConfig() {
      const [model, settings] = await Promise.all([loadModelChoice(local).catch(() => ({ active: 'builtin' as const, custom: null })), loadSettings(local)]);
      return { ok: true, model, detector: settings.detector };
    },
    async toggle({ tabId }) {
      return { ok: true, enabled: await tabs.toggle(tabId) };
    },
    async tabState({ tabId }) {
      const page = await tabs.pageDetection(tabId);
      const [enabled, settings, tab] = await Promise.all([tabs.isOn(tabId, page), loadSettings(local), browser.tabs.get(tabId).catch(() => null)]);
      return { ok: true, enabled, live: page.state === 'running' ? page.live : null, engine: engine.status(), allowed: siteAllowed(settings, tab?.url) };
    },
  };
  listen(browser, handlers);
  // Retention also runs at every start, so a session past its age goes even if nothing is written.
  history.applyRetention().catch((err) => console.error('faceml: retention failed', err));

  storage.onChanged((changes) => {
    // The user lowered retention: apply it now, not only at the next write.
    if (changes[SETTINGS_KEY]) {
      history.applyRetention().catch((err) => console.error('faceml: retention failed', err));
      void pushSettingsToPages(browser);
      tabs.enforceAllowedSites().catch((err) => console.error('faceml: allowed sites not applied', err));
      // Another face detector was chosen: a running engine that loaded another one restarts.
      const chosen = sanitiseSettings(changes[SETTINGS_KEY].newValue).detector;
      const loaded = engine.status()?.detector;
      if (loaded && loaded !== chosen) tabs.restartEngine().catch((err) => console.error('faceml: engine restart failed', err));
    }
    // Another emotion model was chosen: restart the engine with it.
    if (changes[MODEL_CHOICE_KEY]) tabs.restartEngine().catch((err) => console.error('faceml: engine restart failed', err));
  });
  browser.tabs.onRemoved.addListener((tabId) => void tabs.forget(tabId));
  // A new document (reload, link, typed address) drops the content script and the activeTab
  // grant: the tab is off. An in-page navigation (history.pushState on YouTube, Meet) keeps both,
  // yet Chrome reports it as 'loading' with a url too: so ask the page once it has loaded.
  browser.tabs.onUpdated.addListener((tabId, change) => {
    if (change.status === 'complete') tabs.reconcile(tabId).catch((err) => console.error('faceml: tab state check failed', err));
  });

  return {
    toggle: tabs.toggle,
    enable: tabs.enable,
    disable: tabs.disable,
    enabledTabs: tabs.enabledTabs,
    analyzeImage,
    history,
    engine,
    engineStatus: () => engine.status(),
    handlers,
    storageLocked,
  };
}

export type Background = ReturnType<typeof createBackground>;
