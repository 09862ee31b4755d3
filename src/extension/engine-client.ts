import type { WxtBrowser as Browser } from 'wxt/browser';

/**
 * Sends a message to the offscreen engine from the service worker. Right after
 * offscreen.createDocument resolves, the document's script may not have registered its
 * listener yet ("Receiving end does not exist"): retry briefly instead of failing the request.
 */
export async function sendToEngine<T>(browser: Browser, message: unknown, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      return (await browser.runtime.sendMessage(message)) as T;
    } catch (err) {
      if (!/Receiving end does not exist/i.test((err as Error).message) || Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
