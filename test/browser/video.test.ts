import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer';
import { launchWithExtension, outsideRequests, waitFor, type ExtensionBrowser, waitForVideo } from '../helpers/browser';
import { ferDir } from '../helpers/fer';
import { videoFromImage } from '../helpers/media';
import { serveStatic } from '../helpers/static-server';
import { type ExpectedFace, writeClearFacesFrame } from '../helpers/scenes';

const testDir = ferDir('test');
const PAGES = path.join(import.meta.dirname, 'pages');

describe.skipIf(!testDir)('extension in Chromium: video tab', () => {
  let ext: ExtensionBrowser;
  let site: Awaited<ReturnType<typeof serveStatic>>;
  let expected: ExpectedFace[];
  let page: Page;
  let framesDir: string;

  beforeAll(async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'faceml-video-'));
    framesDir = dir;
    expected = await writeClearFacesFrame(path.join(dir, 'faces.png'));
    site = await serveStatic([PAGES, dir]);
    ext = await launchWithExtension();
    page = await ext.browser.newPage();
    await page.goto(`${site.origin}/video.html?frames=faces.png`);
    await waitForVideo(page);
  });

  afterAll(async () => {
    await ext?.close();
    await site?.close();
  });

  it('toggling on draws a label over each face, with the expected emotions', async () => {
    await ext.clickAction(page);
    const overlays = await waitFor(async () => {
      const o = await ext.overlays(page);
      return o && o[0]?.faces.length >= 2 ? o : null;
    }, 60_000);
    expect(overlays, 'overlays appeared').toBeTruthy();
    // Let smoothing settle over a few frames, then compare labels.
    await new Promise((r) => setTimeout(r, 2000));
    const drawn = (await ext.overlays(page))![0].faces;
    const labels = drawn.map((f) => f.emotion);
    const matches = expected.filter((e) => labels.includes(e.label)).length;
    console.log(`overlay labels: ${labels.join(', ')} (expected ${expected.map((e) => e.label).join(', ')})`);
    expect(drawn.length).toBeGreaterThanOrEqual(2);
    expect(matches).toBeGreaterThanOrEqual(2);
    const hosts = await page.$$eval('faceml-overlay', (els) => els.map((e) => getComputedStyle(e).pointerEvents));
    expect(hosts).toEqual(['none']);
  });

  it('keeps face ids stable while the video plays', async () => {
    const first = (await ext.overlays(page))![0].faces.map((f) => f.faceId).sort();
    await new Promise((r) => setTimeout(r, 2000));
    const later = (await ext.overlays(page))![0].faces.map((f) => f.faceId).sort();
    expect(later).toEqual(first);
  });

  it('toggling off removes the overlays', async () => {
    await ext.clickAction(page);
    const gone = await waitFor(async () => (await page.$$('faceml-overlay')).length === 0, 10_000);
    expect(gone).toBe(true);
    expect(await ext.overlays(page)).toEqual([]);
  });

  it('analyses a cross-origin video through tab capture', async () => {
    videoFromImage(path.join(framesDir, 'faces.png'), path.join(framesDir, 'clip.webm'));
    const otherOrigin = await serveStatic([framesDir]); // a second origin, without CORS headers
    try {
      const tab = await ext.browser.newPage();
      await tab.setViewport({ width: 900, height: 700 });
      await tab.goto(`${site.origin}/clip.html?src=${encodeURIComponent(`${otherOrigin.origin}/clip.webm`)}`);
      await waitForVideo(tab);
      const tainted = await tab.evaluate(() => {
        const c = document.createElement('canvas');
        c.getContext('2d')!.drawImage(document.querySelector('video')!, 0, 0);
        try {
          c.toDataURL();
          return false;
        } catch {
          return true;
        }
      });
      expect(tainted, 'the page cannot read the video pixels').toBe(true);
      await tab.bringToFront();
      await ext.clickAction(tab);
      const overlays = await waitFor(async () => {
        const o = await ext.overlays(tab);
        return o && o[0]?.faces.length >= 2 ? o : null;
      }, 60_000);
      expect(overlays?.[0].mode).toBe('capture');
      await new Promise((r) => setTimeout(r, 3000));
      const labels = (await ext.overlays(tab))![0].faces.map((f) => f.emotion);
      console.log(`cross-origin overlay labels: ${labels.join(', ')}`);
      expect(expected.filter((e) => labels.includes(e.label)).length).toBeGreaterThanOrEqual(2);
      await ext.clickAction(tab);
      await tab.close();
    } finally {
      await otherOrigin.close();
    }
  });

  it('made no request beyond 127.0.0.1 and the extension itself', () => {
    expect(ext.requests.length).toBeGreaterThan(0);
    expect(outsideRequests(ext)).toEqual([]);
  });
});
