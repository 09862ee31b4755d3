import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { Page } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeScene } from '../../src/node/synthetic';
import { launchWithExtension, outsideRequests, waitFor, type ExtensionBrowser, waitForVideo } from '../helpers/browser';
import { ferDir } from '../helpers/fer';
import { cascadeFaces } from '../helpers/scenes';
import { serveStatic } from '../helpers/static-server';

const testDir = ferDir('test');
const PAGES = path.join(import.meta.dirname, 'pages');

describe.skipIf(!testDir)('extension in Chromium: robustness', () => {
  let ext: ExtensionBrowser;
  let site: Awaited<ReturnType<typeof serveStatic>>;
  let page: Page;

  beforeAll(async () => {
    const [face] = await cascadeFaces(1, 240, 60);
    const scene = await composeScene(640, 480, [{ file: face.file, x: 200, y: 100, size: 240 }], 9);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'faceml-robust-'));
    await writeFile(path.join(dir, 'one.png'), await sharp(scene.jpeg).png().toBuffer());
    site = await serveStatic([PAGES, dir]);
    ext = await launchWithExtension();
    page = await ext.browser.newPage();
    await page.goto(`${site.origin}/video.html?frames=one.png&count=6`);
    await waitForVideo(page);
    await ext.clickAction(page);
  });

  afterAll(async () => {
    await ext?.close();
    await site?.close();
  });

  const withFaces = async (p: Page) => ((await ext.overlays(p)) ?? []).filter((v) => v.faces.length > 0).length;

  it('analyses six videos on one page', async () => {
    const n = await waitFor(async () => ((await withFaces(page)) === 6 ? 6 : 0), 90_000);
    expect(n).toBe(6);
  });

  it('drops the overlay of a video removed mid-analysis and goes on with the rest', async () => {
    await page.evaluate(() => document.getElementById('v2')!.remove());
    const five = await waitFor(async () => ((await ext.overlays(page))?.length === 5 ? 5 : 0), 10_000);
    expect(five).toBe(5);
    expect(await page.$$eval('faceml-overlay', (e) => e.length)).toBe(5);
    const stillDetecting = await waitFor(async () => ((await withFaces(page)) === 5 ? 5 : 0), 20_000);
    expect(stillDetecting).toBe(5);
  });

  it('answers a bad frame with an error and keeps working', async () => {
    const realm = page.extensionRealms()[0];
    // A few hundred bytes whose header declares 16383x16383 (a VP8L WebP with its size bits
    // rewritten): refused from the header, before the browser's decoder allocates 1 GB for it.
    const webp = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#888' } }).webp({ lossless: true }).toBuffer();
    const bits = webp.readUInt32LE(21);
    webp.writeUInt32LE((bits & ~0xfffffff) | 16382 | (16382 << 14), 21);
    const bombUrl = `data:image/webp;base64,${webp.toString('base64')}`;
    const bomb = await realm.evaluate(async (frame: string) => (globalThis as any).chrome.runtime.sendMessage({ type: 'faceml/analyze-frame', videoId: 'bomb', frame, scale: 1 }), bombUrl);
    expect(bomb).toMatchObject({ ok: false, error: { code: 'IMAGE_TOO_LARGE', message: expect.stringContaining('16383x16383') } });
    const answers = await realm.evaluate(async () => {
      const send = (m: unknown) => (globalThis as any).chrome.runtime.sendMessage(m) as Promise<unknown>;
      return [
        await send({ type: 'faceml/analyze-frame', videoId: 'bad', frame: 'data:image/jpeg;base64,AAAA', scale: 1 }),
        await send({ type: 'faceml/analyze-frame', videoId: 'bad', frame: 'data:image/png;base64,' + btoa('not a png at all'), scale: 1 }),
        await send({ type: 'faceml/no-such-message' }).catch((e: Error) => `rejected: ${e.message}`),
      ];
    });
    expect(answers[0]).toMatchObject({ ok: false, error: { code: 'INVALID_IMAGE' } });
    expect(answers[1]).toMatchObject({ ok: false, error: { code: 'INVALID_IMAGE' } });
    // Nobody answers an unknown message: the sender gets undefined or a "no receiver" rejection.
    expect(answers[2] === undefined || answers[2] === null || String(answers[2]).startsWith('rejected'), JSON.stringify(answers[2])).toBe(true);
    const recovered = await waitFor(async () => ((await withFaces(page)) === 5 ? 5 : 0), 20_000);
    expect(recovered).toBe(5);
  });

  it('recreates the engine when the offscreen document goes away', async () => {
    const offscreen = ext.browser.targets().find((t) => t.url().endsWith('/offscreen.html'));
    expect(offscreen, 'offscreen document running').toBeTruthy();
    await (await offscreen!.asPage()).close();
    // The content script notices the missing engine and asks the service worker for a new one.
    const back = await waitFor(async () => ext.browser.targets().some((t) => t.url().endsWith('/offscreen.html') && t !== offscreen), 20_000);
    expect(back, 'a new offscreen document was created').toBe(true);
    // Old labels may linger for a frame; require fresh results after the restart.
    await new Promise((r) => setTimeout(r, 1000));
    const resumed = await waitFor(async () => ((await withFaces(page)) === 5 ? 5 : 0), 30_000);
    expect(resumed).toBe(5);
  });

  /** This tab's detection session as stored in history (read from the content script's side). */
  const storedRows = async (): Promise<number[][]> => {
    const key = `faceml:session:${await page.extensionRealms()[0].evaluate(() => (globalThis as any).__faceml.live().sessionId)}`;
    return (await ext.storagePage()).evaluate(async (k: string) => ((await (globalThis as any).chrome.storage.local.get(k))[k] ?? []) as number[][], key);
  };

  it('keeps detecting, remembers the tab and keeps the history after the service worker is stopped', async () => {
    const before = await waitFor(async () => {
      const rows = await storedRows();
      return rows.length >= 5 ? rows : null;
    }, 20_000);
    if (!before) {
      console.log(await page.extensionRealms()[0].evaluate(async () => {
        const f = (globalThis as any).__faceml;
        return JSON.stringify({ live: { ...f.live(), faces: f.live().faces.length }, unsaved: f.unsavedRows });
      }));
    }
    expect(before, 'history rows saved before the restart').toBeTruthy();
    // As Chrome's extension docs do it: stop all service workers through a page's CDP session.
    const cdp = await page.createCDPSession();
    await cdp.send('ServiceWorker.enable');
    await cdp.send('ServiceWorker.stopAllWorkers');
    const stopped = await waitFor(async () => !ext.browser.targets().some((t) => t.type() === 'service_worker' && t.url().endsWith('/background.js')), 10_000);
    expect(stopped, 'service worker stopped').toBe(true);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await withFaces(page)).toBe(5);
    // New seconds keep arriving in the same session (the next history message wakes the worker),
    // and every row saved before the restart is still there.
    const after = await waitFor(async () => {
      const rows = await storedRows();
      return rows.length >= before!.length + 10 ? rows : null;
    }, 20_000);
    expect(after, 'history keeps growing after the restart').toBeTruthy();
    expect(after!.slice(0, before!.length)).toEqual(before);
    // The worker wakes up for the next click and still knows this tab is on: the click turns it off.
    await ext.clickAction(page);
    const off = await waitFor(async () => (await page.$$('faceml-overlay')).length === 0, 15_000);
    expect(off, 'the click after the restart turned detection off').toBe(true);
  });

  it('cannot be driven by the page itself', async () => {
    const reachable = await page.evaluate(() => typeof (globalThis as { chrome?: { runtime?: { sendMessage?: unknown } } }).chrome?.runtime?.sendMessage);
    expect(reachable).toBe('undefined');
  });

  it('keeps extension storage from the content script\'s context (history, settings, model choice), yet the content script has its settings', async () => {
    const fromContent = await page.extensionRealms()[0].evaluate(async () => {
      const local = (globalThis as any).chrome.storage.local;
      const attempt = async (f: () => Promise<unknown>) => {
        try {
          await f();
          return 'allowed';
        } catch (err) {
          return `refused: ${(err as Error).message}`;
        }
      };
      return {
        read: await attempt(() => local.get(null)),
        write: await attempt(() => local.set({ 'faceml:settings': { retention: { days: 3650 } } })),
      };
    });
    expect(fromContent.read).toMatch(/^refused: .*not allowed/i);
    expect(fromContent.write).toMatch(/^refused: .*not allowed/i);
    // The settings still reach the page: the overlay style the user picks is applied.
    await (await ext.storagePage()).evaluate(() => (globalThis as any).chrome.storage.local.set({ 'faceml:settings': { overlayStyle: 'emoji' } }));
    const applied = await waitFor(async () => (await page.extensionRealms()[0].evaluate(() => (globalThis as any).__faceml.overlayLook?.style)) === 'emoji' || null, 10_000);
    expect(applied).toBe(true);
    await (await ext.storagePage()).evaluate(() => (globalThis as any).chrome.storage.local.remove('faceml:settings'));
  });

  it('made no request beyond 127.0.0.1 and the extension itself', () => {
    expect(ext.requests.length).toBeGreaterThan(0);
    expect(outsideRequests(ext)).toEqual([]);
  });

  it('the request watcher sees every context: a request planted in the worker, the offscreen document and the popup is caught', async () => {
    const planted = (where: string) => `http://127.0.0.2:9/planted-${where}`;
    // Detection back on (the restart test turned it off): the engine's offscreen document runs.
    await ext.clickAction(page);
    const offscreen = await (await ext.browser.waitForTarget((t) => t.url().endsWith('/offscreen.html'))).asPage();
    await offscreen!.evaluate((u: string) => fetch(u).catch(() => 0), planted('offscreen'));
    // The open popup asks the worker for the tab's state, which wakes it if it was idle.
    const popup = await ext.openPopup(page);
    await popup.evaluate((u: string) => fetch(u).catch(() => 0), planted('popup'));
    await (await ext.worker()).evaluate((u: string) => fetch(u).catch(() => 0), planted('worker'));
    await popup.close();
    const caught = await waitFor(async () => {
      const seen = outsideRequests(ext);
      return ['offscreen', 'popup', 'worker'].every((w) => seen.includes(planted(w))) ? seen : null;
    }, 10_000);
    expect(caught, `caught: ${JSON.stringify(outsideRequests(ext))}`).toBeTruthy();
  });
});
