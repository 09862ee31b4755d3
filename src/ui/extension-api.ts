import type { WxtBrowser as Browser } from 'wxt/browser';
import { extensionStorage } from '../extension/extension-storage';
import { send } from '../extension/messaging';
import { HistoryStore } from '../storage/history';
import { historyToCsv, historyToJson } from '../storage/export';
import { loadSettings } from '../storage/settings';
import type { EngineStatus } from './status';

/** What the popup and side panel ask the rest of the extension. One place, typed. */
export function extensionApi(browser: Browser) {
  const { local } = extensionStorage(browser);
  const history = new HistoryStore(local, async () => (await loadSettings(local)).retention);
  return {
    history,
    async activeTab() {
      // currentWindow: the window this popup or side panel belongs to (not whichever was focused last).
      const [tab] = await browser.tabs.query({ active: true, currentWindow: true });
      return tab ?? null;
    },
    /** The background's view of a tab (null when it could not answer). */
    async tabState(tabId: number) {
      const answer = await send(browser, 'tabState', { tabId });
      if (!answer.ok) return null;
      const { ok: _ok, ...state } = answer;
      return state;
    },
    toggle: (tabId: number) => send(browser, 'toggle', { tabId }),
    reachFrames: (tabId: number) => send(browser, 'reachFrames', { tabId }),
    /** The engine answers directly; no engine (never started, or closed) -> null. */
    async engineStatus(): Promise<EngineStatus | null> {
      const answer = await send(browser, 'engineStatus', {});
      if (!answer.ok) return null;
      const { ok: _ok, ...status } = answer;
      return status;
    },
    async exportHistory(format: 'csv' | 'json') {
      const all = await history.all();
      const text = format === 'csv' ? historyToCsv(all) : historyToJson(all);
      const url = URL.createObjectURL(new Blob([text], { type: format === 'csv' ? 'text/csv' : 'application/json' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `faceml-history-${new Date().toISOString().slice(0, 10)}.${format}`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      return text;
    },
  };
}
