import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LABELS } from '../../src/core/labels';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchWithExtension, outsideRequests, waitFor, type ExtensionBrowser } from '../helpers/browser';
import { ferDir } from '../helpers/fer';
import { writeImageScenes } from '../helpers/scenes';
import { serveStatic } from '../helpers/static-server';

const testDir = ferDir('test');
const PAGES = path.join(import.meta.dirname, 'pages');

describe.skipIf(!testDir)('extension in Chromium: "Analyze emotions in this image"', () => {
  let ext: ExtensionBrowser;
  let site: Awaited<ReturnType<typeof serveStatic>>;
  let other: Awaited<ReturnType<typeof serveStatic>>;

  beforeAll(async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'faceml-images-'));
    await writeImageScenes(dir);
    site = await serveStatic([PAGES, dir]);
    other = await serveStatic([dir]); // another origin, no CORS headers
    ext = await launchWithExtension();
  });

  afterAll(async () => {
    await ext?.close();
    await site?.close();
    await other?.close();
  });

  it('analyses a same-origin and a cross-origin image, stores both and draws the faces', async () => {
    const page = await ext.browser.newPage();
    await page.setViewport({ width: 700, height: 900 });
    const sameUrl = `${site.origin}/one.png`;
    const crossUrl = `${other.origin}/two.jpg`;
    await page.goto(`${site.origin}/images.html?same=${encodeURIComponent(sameUrl)}&cross=${encodeURIComponent(crossUrl)}`);
    await page.waitForFunction(() => (window as { imagesReady?: boolean }).imagesReady === true);
    // A real right-click grants activeTab; the toolbar click is the gesture puppeteer can make.
    await ext.clickAction(page);
    // The user opted in to thumbnails in history (off by default).
    const worker = await ext.worker();
    await worker.evaluate(() => (globalThis as any).chrome.storage.local.set({ 'faceml:settings': { saveThumbnails: true } }));
    // The very handler the context menu calls.
    const results = await worker.evaluate(
      async (pageUrl: string, urls: string[]) => {
        const [tab] = await (globalThis as any).chrome.tabs.query({ url: pageUrl });
        const faceml = (globalThis as any).faceml;
        const out = [];
        for (const srcUrl of urls) out.push(await faceml.analyzeImage({ srcUrl, pageUrl }, tab));
        return { out, images: await faceml.history.images() };
      },
      page.url(),
      [sameUrl, crossUrl],
    );
    const [same, cross] = results.out as { ok: boolean; via: string; faces: { emotion: string }[] }[];
    expect(same.ok).toBe(true);
    expect(same.via).toBe('fetch');
    expect(cross.via, 'no host permission for the other origin: tab capture').toBe('capture');
    expect(same.faces.length).toBe(1);
    expect(cross.ok).toBe(true);
    expect(cross.faces.length).toBe(2);
    const stored = results.images as { imageUrl: string; faces: unknown[]; thumbnail?: string }[];
    expect(stored.map((r) => r.imageUrl)).toEqual([sameUrl, crossUrl]);
    for (const r of stored) {
      expect(r.thumbnail).toMatch(/^data:image\/jpeg;base64,/);
      expect(r.thumbnail!.length).toBeLessThan(20_000); // small: at most 96 px
    }
    expect(stored.map((r) => r.faces.length)).toEqual([1, 2]);
    const drawn = await waitFor(async () => {
      for (const realm of page.extensionRealms()) {
        const n = await realm
          .evaluate(() => [...((globalThis as any).__facemlImages?.values() ?? [])].map((o: { drawn: unknown[] }) => o.drawn.length))
          .catch(() => null);
        if (n && n.length === 2) return n;
      }
      return null;
    }, 10_000);
    expect(drawn).toEqual([1, 2]);

    // Each face of a result opens to its seven scores, highest first, and closes again.
    const realmOf = page.extensionRealms()[0];
    type Drawn = { faceId: number; text: string; detail?: string[]; labelRect: { x: number; y: number; width: number; height: number } | null };
    const crossFaces = () => realmOf.evaluate(() => [...(globalThis as any).__facemlImages.values()][1].drawn as Drawn[]);
    const [firstFace] = await crossFaces();
    expect(firstFace.detail).toBeUndefined();
    const at = firstFace.labelRect!;
    await page.mouse.click(at.x + at.width / 2, at.y + at.height / 2);
    const opened = (await waitFor(async () => (await crossFaces()).find((f) => f.detail) ?? null, 5000))!;
    expect(opened.faceId).toBe(firstFace.faceId);
    expect(opened.detail!.map((d) => d.split(' ')[0]).sort()).toEqual([...LABELS].sort());
    const values = opened.detail!.map((d) => parseInt(d.split(' ')[1], 10));
    expect(values).toEqual([...values].sort((a, b) => b - a));
    expect(opened.text).toContain(opened.detail![0].split(' ')[0]); // the label's emotion is the top score
    await page.mouse.click(at.x + at.width / 2, at.y + at.height / 2);
    expect(await waitFor(async () => ((await crossFaces()).every((f) => !f.detail) ? 'closed' : null), 5000)).toBe('closed');

    // The image that shows another picture loses its result (its faces are not the new one's);
    // the other result is dismissed with its close button.
    const realm = page.extensionRealms()[0];
    const counts = () => realm.evaluate(() => [...((globalThis as any).__facemlImages?.values() ?? [])].map((o: { drawn: unknown[] }) => o.drawn.length));
    await page.evaluate((url: string) => ((document.getElementById('same') as HTMLImageElement).src = url), `${crossUrl}?another`);
    expect(await waitFor(async () => ((await counts()).length === 1 ? await counts() : null), 10_000)).toEqual([2]);
    const button = await realm.evaluate(() => [...(globalThis as any).__facemlImages.values()][0].dismissRect as { x: number; y: number; width: number; height: number } | null);
    expect(button, 'a close button on the result').toBeTruthy();
    await page.mouse.click(button!.x + button!.width / 2, button!.y + button!.height / 2);
    expect(await waitFor(async () => ((await counts()).length === 0 ? true : null), 5_000), 'dismissed').toBe(true);
    expect(await page.$$eval('faceml-overlay', (e) => e.length)).toBe(0);
  });

  it('a cross-origin image below the fold of a smoothly scrolling page: captured once it is scrolled into view, with its own faces', async () => {
    const page = await ext.browser.newPage();
    await page.setViewport({ width: 700, height: 700 });
    const sameUrl = `${site.origin}/one.png`;
    const crossUrl = `${other.origin}/two.jpg`;
    await page.goto(`${site.origin}/images.html?same=${encodeURIComponent(sameUrl)}&cross=${encodeURIComponent(crossUrl)}&gap=1500&smooth=1`);
    await page.waitForFunction(() => (window as { imagesReady?: boolean }).imagesReady === true);
    await ext.clickAction(page);
    const worker = await ext.worker();
    const result = await worker.evaluate(async (pageUrl: string, srcUrl: string) => {
      const [tab] = await (globalThis as any).chrome.tabs.query({ url: pageUrl });
      return (globalThis as any).faceml.analyzeImage({ srcUrl, pageUrl }, tab);
    }, page.url(), crossUrl);
    console.log(`below the fold: ${JSON.stringify({ ok: result.ok, via: result.via, faces: result.faces?.length, error: result.error })}`);
    // The one-face image at the top must not be what was analysed: the two-face one is.
    expect(result.ok).toBe(true);
    expect(result.via).toBe('capture');
    expect(result.faces.length).toBe(2);
    await ext.clickAction(page);
    await page.close();
  });

  it('made no request beyond 127.0.0.1 and the extension itself', () => {
    expect(ext.requests.length).toBeGreaterThan(0);
    expect(outsideRequests(ext)).toEqual([]);
  });
});
