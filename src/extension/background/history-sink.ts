import { HistoryStore } from '../../storage/history';
import { StorageFullError } from '../../storage/storage-area';
import type { Sender } from '../messaging';
import type { RequestOf, ResponseOf } from '../protocol';
import type { Tabs } from './tabs';

/**
 * Per-second rows from a tab the user turned on (content script) or from our webcam page, into
 * the history store. Only the background writes history from detection.
 */
export function createHistorySink(history: HistoryStore, tabs: Pick<Tabs, 'isEnabled'>) {
  return async function saveSamples(message: RequestOf<'historySamples'>, sender: Sender): Promise<ResponseOf<'historySamples'>> {
    const own = sender.kind === 'page';
    if (!own && (sender.tab?.id === undefined || !(await tabs.isEnabled(sender.tab.id)))) {
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
  };
}
