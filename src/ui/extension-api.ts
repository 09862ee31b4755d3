import type { WxtBrowser as Browser } from 'wxt/browser';
import { extensionStorage } from '../extension/extension-storage';
import { send } from '../extension/messaging';
import { HistoryStore } from '../storage/history';
import { historyToCsv, historyToJson } from '../storage/export';
import { SCHEMA_VERSION } from '../storage/schema';
import { loadSettings } from '../storage/settings';
import type { EngineStatus } from './status';
import { download, exportName } from './download';

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
    /** All history, or one session (sessionId), saved as a CSV or JSON file. Returns the text. */
    async exportHistory(format: 'csv' | 'json', sessionId?: string) {
      // One session: its own rows only, not every session's (history.all() reads them all).
      const info = sessionId === undefined ? null : (await history.sessions()).find((s) => s.id === sessionId);
      if (sessionId !== undefined && !info) throw new Error('That session is no longer in the history.');
      const session = info ? { ...info, samples: await history.sessionRows(info.id) } : null;
      const chosen = session ? { version: SCHEMA_VERSION, sessions: [session], images: [] } : await history.all();
      const text = format === 'csv' ? historyToCsv(chosen) : historyToJson(chosen);
      download(text, exportName(session ? session.title || 'session' : 'history', new Date(), format), format === 'csv' ? 'text/csv' : 'application/json');
      return text;
    },
  };
}
