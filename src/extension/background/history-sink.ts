import type { WxtBrowser as Browser } from 'wxt/browser';
import { HistoryStore } from '../../storage/history';
import type { SampleRow } from '../../storage/schema';
import { loadSettings } from '../../storage/settings';
import { StorageFullError } from '../../storage/storage-area';
import { extensionStorage } from '../extension-storage';
import type { Sender } from '../messaging';
import { failure, type RequestOf, type ResponseOf } from '../protocol';
import type { Tabs } from './tabs';

/** Which tab started each content-script session (storage.session: survives a worker restart). */
const SESSION_TABS_KEY = 'sessionTabs';
/**
 * Rows are finished seconds the sender could not hand over yet: a few seconds old, or some
 * minutes when storage was busy or full. Older or future seconds are not a live session's.
 */
const OLDEST_ROW_S = 15 * 60;
const NEWEST_ROW_S = 60;

/**
 * Per-second rows from a tab the user turned on (content script) or from our webcam page, into
 * the history store. Only the background writes history from detection. A content script can
 * add only to a session its own tab started while detection was on, and only seconds of about
 * now: a forged message (a page that reached our content script's context) cannot start sessions
 * for other tabs, write into them, or date rows in the year 5138.
 */
export function createHistorySink(browser: Browser, history: HistoryStore, tabs: Pick<Tabs, 'isEnabled'>) {
  const sessionTabs = async () => ((await browser.storage.session.get(SESSION_TABS_KEY))[SESSION_TABS_KEY] as Record<string, number> | undefined) ?? {};

  /** Null when this content script may write to the session (binding it to its tab if new), else why not. */
  async function contentMayWrite(sessionId: string, tabId: number | undefined): Promise<ResponseOf<'historySamples'> | null> {
    if (tabId === undefined) return failure('FORBIDDEN', 'history rows come from a tab');
    const bound = await sessionTabs();
    if (bound[sessionId] !== undefined) {
      return bound[sessionId] === tabId ? null : failure('FORBIDDEN', 'this session belongs to another tab');
    }
    // A new session: only from a tab with detection on, and never one history already has (the
    // webcam's, an earlier browser run's).
    if (!(await tabs.isEnabled(tabId))) return failure('NOT_ENABLED', 'detection is not on for this tab');
    if ((await history.sessions()).some((s) => s.id === sessionId)) return failure('FORBIDDEN', 'this session belongs to another tab');
    await browser.storage.session.set({ [SESSION_TABS_KEY]: { ...bound, [sessionId]: tabId } });
    return null;
  }

  return async function saveSamples(message: RequestOf<'historySamples'>, sender: Sender): Promise<ResponseOf<'historySamples'>> {
    const late = outOfTime(message.rows, Date.now() / 1000);
    if (late) return failure('INVALID_ROWS', `a row is dated ${new Date(late[0] * 1000).toISOString()}, not within the last ${OLDEST_ROW_S / 60} minutes`);
    const own = sender.kind === 'page';
    if (!own) {
      const refused = await contentMayWrite(message.sessionId, sender.tab?.id);
      if (refused) return refused;
    }
    // History turned off in settings: the rows are taken (so the sender does not hold them and
    // resend) and not stored.
    if (!(await loadSettings(extensionStorage(browser).local)).saveHistory) return { ok: true, saved: 0 };
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
      return failure(code, (err as Error).message);
    }
  };
}

/** The first row whose second is not about now, if any. */
function outOfTime(rows: SampleRow[], nowS: number): SampleRow | undefined {
  return rows.find((r) => r[0] < nowS - OLDEST_ROW_S || r[0] > nowS + NEWEST_ROW_S);
}
