import type { WxtBrowser as Browser } from 'wxt/browser';
import type { TabState } from '../extension/tab-control';
import { HistoryStore } from '../storage/history';
import { historyToCsv, historyToJson } from '../storage/export';
import { loadSettings } from '../storage/settings';
import type { EngineStatus } from './status';

/** What the popup and side panel ask the rest of the extension. One place, typed. */
export function extensionApi(browser: Browser) {
  const history = new HistoryStore(browser.storage.local, async () => (await loadSettings(browser.storage.local)).retention);
  return {
    history,
    async activeTab() {
      // currentWindow: the window this popup or side panel belongs to (not whichever was focused last).
      const [tab] = await browser.tabs.query({ active: true, currentWindow: true });
      return tab ?? null;
    },
    tabState: (tabId: number) => browser.runtime.sendMessage({ type: 'faceml/tab-state', tabId }) as Promise<TabState>,
    toggle: (tabId: number) => browser.runtime.sendMessage({ type: 'faceml/toggle', tabId }) as Promise<{ ok: boolean; enabled?: boolean; error?: string }>,
    /** The offscreen engine answers directly; no engine (never started, or closed) -> null. */
    async engineStatus(): Promise<EngineStatus | null> {
      const answer = await browser.runtime.sendMessage({ type: 'faceml/engine-status' }).catch(() => null);
      return answer && typeof answer === 'object' && 'state' in answer ? (answer as EngineStatus) : null;
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
