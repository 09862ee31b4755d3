import type { WxtBrowser as Browser } from 'wxt/browser';
import { sendToTab } from '../messaging';
import type { LiveSnapshot } from '../protocol';

/** A content script answers at once; a tab that says nothing in this time has none. */
const PAGE_ANSWER_MS = 2000;

/** What a tab's page says of detection: running (with what it sees), off, or too busy to answer. */
export type PageDetection = { state: 'running'; live: LiveSnapshot } | { state: 'off' | 'silent' };

/**
 * What detection in this tab sees now, in the page's own words: our content script answers
 * while it lives and samples ('off': no content script, or it is not sampling). The worker's
 * list of enabled tabs only follows tab events, which do not tell an in-page navigation
 * (history.pushState: detection goes on) from a new document (detection is gone) and differ
 * between browsers; the page cannot be wrong. A page too busy to answer in time (a starved
 * machine) is 'silent': then the list is the best guess, never "off" by default, or a press
 * meant to turn detection off would turn it on again.
 */
export async function pageDetection(browser: Browser, tabId: number): Promise<PageDetection> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const answer = await Promise.race([
    sendToTab(browser, tabId, 'live', {}),
    new Promise<'silent'>((r) => (timer = setTimeout(() => r('silent'), PAGE_ANSWER_MS))),
  ]);
  clearTimeout(timer);
  if (answer === 'silent') return { state: 'silent' };
  if (!answer.ok || !answer.running) return { state: 'off' };
  const { ok: _ok, ...live } = answer;
  return { state: 'running', live };
}
