import type { Page } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchWithExtension, waitFor, type ExtensionBrowser } from '../helpers/browser';

/**
 * History is written from more than one context: the service worker appends what detection
 * reports, the side panel deletes sessions. These run in real Chromium, where navigator.locks
 * serialises the two (Node, where the store's unit tests run, has no navigator.locks).
 */
describe('extension in Chromium: history written from several contexts', () => {
  let ext: ExtensionBrowser;
  let panel: Page;

  beforeAll(async () => {
    ext = await launchWithExtension();
    // The side panel's page in a window of its own: its HistoryStore is the one its buttons use.
    const url = `chrome-extension://${ext.extensionId}/sidepanel.html`;
    const cdp = await ext.browser.target().createCDPSession();
    await cdp.send('Target.createTarget', { url, newWindow: true });
    panel = (await (await ext.browser.waitForTarget((t) => t.url() === url)).asPage())!;
    await panel.waitForFunction(() => (globalThis as any).__facemlPanel !== undefined);
  });
  afterAll(() => ext?.close());

  /** Rows for `faces` faces over the last `seconds` seconds, as the webcam page reports them. */
  const rowsScript = `(seconds, faces) => {
    const now = Math.floor(Date.now() / 1000);
    const rows = [];
    for (let s = 0; s < seconds; s++) for (let f = 1; f <= faces; f++) rows.push([now - s, 1, f, 5, 100, 100, 100, 400, 100, 100, 100]);
    return rows;
  }`;

  /** Index and rows agree: every listed session has its rows (as many as it says), no rows are unlisted. */
  const consistency = () =>
    panel.evaluate(async () => {
      const all = await (globalThis as any).chrome.storage.local.get(null);
      const sessions = (all['faceml:sessions'] ?? []) as { id: string; rows: number }[];
      const listed = new Set(sessions.map((s) => `faceml:session:${s.id}`));
      const problems: string[] = [];
      for (const s of sessions) {
        const rows = all[`faceml:session:${s.id}`] as unknown[] | undefined;
        if (!rows || rows.length !== s.rows) problems.push(`${s.id}: listed with ${s.rows} rows, stored ${rows?.length ?? 'none'}`);
      }
      for (const key of Object.keys(all)) if (key.startsWith('faceml:session:') && !listed.has(key)) problems.push(`${key}: rows no session lists`);
      return { ids: sessions.map((s) => s.id), problems };
    });

  it('loses nothing when the worker appends while the side panel deletes (the lock spans contexts)', async () => {
    // Sessions for the panel to delete, then both at once: 30 appends through the worker, 30 deletes in the panel.
    await panel.evaluate(async (script: string) => {
      const rows = eval(script)(1, 1);
      for (let i = 0; i < 30; i++) await (globalThis as any).__facemlPanel.history.appendSamples({ sessionId: `old-${i}`, pageUrl: '', title: '', rows });
    }, rowsScript);
    await panel.evaluate(async (script: string) => {
      const rows = eval(script)(3, 2);
      const send = (m: unknown) => (globalThis as any).chrome.runtime.sendMessage(m);
      const appends = Array.from({ length: 30 }, (_, i) => send({ type: 'faceml/history-samples', sessionId: `new-${i}`, rows }));
      const deletes = Array.from({ length: 30 }, (_, i) => (globalThis as any).__facemlPanel.history.deleteSession(`old-${i}`));
      const answers = await Promise.all(appends);
      await Promise.all(deletes);
      if (!answers.every((a: { ok: boolean }) => a?.ok)) throw new Error(`an append failed: ${JSON.stringify(answers.find((a: { ok: boolean }) => !a?.ok))}`);
    }, rowsScript);
    const { ids, problems } = await consistency();
    expect(problems).toEqual([]);
    expect(ids.filter((id) => id.startsWith('old-'))).toEqual([]);
    expect(ids.filter((id) => id.startsWith('new-')).sort()).toEqual(Array.from({ length: 30 }, (_, i) => `new-${i}`).sort());
  });

  it('leaves index and rows in agreement when the worker is stopped in the middle of a write', async () => {
    const cdp = await panel.createCDPSession();
    await cdp.send('ServiceWorker.enable');
    for (const [trial, delayMs] of [0, 2, 5, 10, 20, 40].entries()) {
      // A large batch (9,000 rows: 900 seconds x 10 faces) takes the worker a while to merge and store.
      const sent = panel.evaluate(
        (script: string, id: string) => (globalThis as any).chrome.runtime.sendMessage({ type: 'faceml/history-samples', sessionId: id, rows: eval(script)(899, 10) }).catch((e: Error) => ({ ok: false, error: e.message })),
        rowsScript,
        `kill-${trial}`,
      );
      await new Promise((r) => setTimeout(r, delayMs));
      await cdp.send('ServiceWorker.stopAllWorkers');
      const answer = await sent;
      const { ids, problems } = await consistency();
      expect(problems, `trial ${trial} (stopped after ${delayMs} ms; answer ${String(JSON.stringify(answer)).slice(0, 80)})`).toEqual([]);
      // Stored completely or not at all; and if it was answered ok, it is stored.
      if ((answer as { ok?: boolean })?.ok) expect(ids).toContain(`kill-${trial}`);
    }
    // The worker comes back for the next message and history works on.
    const after = await waitFor(
      () => panel.evaluate(() => (globalThis as any).chrome.runtime.sendMessage({ type: 'faceml/history-samples', sessionId: 'after', rows: [[Math.floor(Date.now() / 1000), 1, 1, 5, 100, 100, 100, 400, 100, 100, 100]] })),
      10_000,
    );
    expect(after).toMatchObject({ ok: true, saved: 1 });
    expect((await consistency()).problems).toEqual([]);
  });
});
