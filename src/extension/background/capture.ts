import type { WxtBrowser as Browser } from 'wxt/browser';
import { sendToTab } from '../messaging';

/** Chrome allows captureVisibleTab about twice a second per window: the one place it is paced. */
export const CAPTURE_INTERVAL_MS = 520;

export interface CaptureTarget {
  id: number;
  windowId: number;
}

/**
 * Screenshots of a tab, for pixels a page cannot give us (cross-origin videos and images). Each
 * capture waits for its window's turn, and FaceML's own overlays in the tab are hidden (and that
 * painted) while the picture is taken, so no earlier label ends up in it.
 */
export function createTabCapture(browser: Browser) {
  /** When each window may be captured next; a queue per window, so concurrent callers take turns. */
  const nextSlot = new Map<number, number>();

  async function waitForTurn(windowId: number): Promise<void> {
    const now = Date.now();
    const slot = Math.max(now, nextSlot.get(windowId) ?? 0);
    nextSlot.set(windowId, slot + CAPTURE_INTERVAL_MS);
    if (slot > now) await new Promise((r) => setTimeout(r, slot - now));
  }

  return async function captureTab(tab: CaptureTarget, format: 'jpeg' | 'png' = 'jpeg'): Promise<string> {
    await waitForTurn(tab.windowId);
    // A tab without our content script has no overlay to hide: the capture goes ahead.
    await sendToTab(browser, tab.id, 'prepareCapture', { hidden: true });
    try {
      return await browser.tabs.captureVisibleTab(tab.windowId, format === 'jpeg' ? { format, quality: 85 } : { format });
    } finally {
      await sendToTab(browser, tab.id, 'prepareCapture', { hidden: false });
    }
  };
}

export type CaptureTab = ReturnType<typeof createTabCapture>;
