import type { WxtBrowser as Browser } from 'wxt/browser';
import { sendToTab } from '../messaging';
import type { LiveSnapshot } from '../protocol';
import { reachedFrames } from './content-script';

/** A content script answers at once; a tab that says nothing in this time has none. */
const PAGE_ANSWER_MS = 2000;

/** What a tab's page says of detection: running (with what it sees), off, or too busy to answer. */
export type PageDetection = { state: 'running'; live: LiveSnapshot } | { state: 'off' | 'silent' };

/** One frame's answer, or 'silent' after PAGE_ANSWER_MS. */
async function frameLive(browser: Browser, tabId: number, frameId: number) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const answer = await Promise.race([
    sendToTab(browser, tabId, 'live', {}, frameId),
    new Promise<'silent'>((r) => (timer = setTimeout(() => r('silent'), PAGE_ANSWER_MS))),
  ]);
  clearTimeout(timer);
  return answer;
}

/**
 * What detection in this tab sees now, in the page's own words: our content script answers
 * while it lives and samples ('off': no content script, or it is not sampling). The worker's
 * list of enabled tabs only follows tab events, which do not tell an in-page navigation
 * (history.pushState: detection goes on) from a new document (detection is gone) and differ
 * between browsers; the page cannot be wrong. A page too busy to answer in time (a starved
 * machine) is 'silent': then the list is the best guess, never "off" by default, or a press
 * meant to turn detection off would turn it on again. The top frame decides; the other frames
 * FaceML runs in add their sources and faces.
 */
export async function pageDetection(browser: Browser, tabId: number): Promise<PageDetection> {
  const subframes = (await reachedFrames(browser, tabId)).filter((f) => f.frameId !== 0);
  const [top, ...others] = await Promise.all([frameLive(browser, tabId, 0), ...subframes.map((f) => frameLive(browser, tabId, f.frameId))]);
  if (top === 'silent') return { state: 'silent' };
  if (!top.ok || !top.running) return { state: 'off' };
  const { ok: _ok, ...live } = top;
  for (const frame of others) {
    if (frame === 'silent' || !frame.ok || !frame.running) continue; // navigated away, or not started yet
    live.videos = [...live.videos, ...frame.videos];
    live.faces = [...live.faces, ...frame.faces];
    live.fps += frame.fps;
    live.historyError ??= frame.historyError;
  }
  return { state: 'running', live };
}
