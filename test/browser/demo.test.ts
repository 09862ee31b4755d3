import { existsSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import type { ElementHandle, Page } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_SAMPLES_DIR, serveDemo } from '../../scripts/demo-site';
import { launchWithExtension, outsideRequests, waitFor, type ExtensionBrowser } from '../helpers/browser';

/** What the page shows: visible videos and images, and whether each has something to show. */
const shown = (page: Page) =>
  page.evaluate(() => ({
    videos: [...document.querySelectorAll('video')].filter((v) => v.checkVisibility()).map((v) => ({ playing: !v.paused && v.readyState >= 2, width: v.videoWidth })),
    brokenImages: [...document.querySelectorAll('img')].filter((i) => i.checkVisibility() && !(i.complete && i.naturalWidth > 0)).map((i) => i.alt),
    images: [...document.querySelectorAll('img')].filter((i) => i.checkVisibility()).length,
    text: document.body.innerText,
  }));

/**
 * The first run with nothing of the user's: the demo page (as `npm run demo` serves it) has
 * sample media from a package, shows no empty player or broken image, tells the user to pin
 * FaceML, and stops the video when something else is chosen, so FaceML analyses only what is shown.
 */
describe.skipIf(!existsSync(path.join(DEMO_SAMPLES_DIR, 'sample1.jpg')))('demo page in Chromium with the extension', () => {
  let ext: ExtensionBrowser;
  let site: Awaited<ReturnType<typeof serveDemo>>;
  let page: Page;
  const failed: string[] = [];

  beforeAll(async () => {
    site = await serveDemo();
    ext = await launchWithExtension();
    page = await ext.browser.newPage();
    await page.setViewport({ width: 1000, height: 900 });
    page.on('response', (r) => r.status() >= 400 && failed.push(`${r.status()} ${r.url()}`));
    page.on('requestfailed', (r) => failed.push(`failed ${r.url()}`));
    await page.goto(`${site.origin}/index.html`, { waitUntil: 'networkidle0' });
  });
  afterAll(async () => {
    await ext?.close();
    await site?.close();
  });

  it('opens with sample photos, no empty player, no broken image, and the pin tip', async () => {
    const first = await shown(page);
    expect(first.videos, 'no player before a video is chosen').toEqual([]);
    expect(first.brokenImages).toEqual([]);
    expect(first.images).toBe(6);
    expect(first.text).toMatch(/pin FaceML/i);
    expect(failed).toEqual([]);
  });

  it('plays the sample video, and FaceML labels faces in it', async () => {
    await page.click('#sample');
    await page.waitForFunction(() => {
      const v = document.querySelector('video')!;
      return !v.paused && v.readyState >= 2 && v.videoWidth > 0;
    });
    expect((await shown(page)).videos).toEqual([{ playing: true, width: 960 }]);
    expect(await ext.clickAction(page)).toMatch(/Loading the models|Detecting/);
    const faces = await waitFor(async () => {
      const all = (await ext.overlays(page))?.flatMap((o) => o.faces) ?? [];
      return all.length > 0 ? all : null;
    }, 60_000);
    expect(faces?.length).toBeGreaterThanOrEqual(1);
  });

  it('choosing a photo of your own stops and hides the video, and its labels go', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'faceml-demo-'));
    const file = path.join(dir, 'mine.png');
    await writeFile(file, await sharp(path.join(DEMO_SAMPLES_DIR, 'sample2.jpg')).resize(400).png().toBuffer());
    const input = (await page.$('#file')) as ElementHandle<HTMLInputElement>;
    await input.uploadFile(file);
    await page.waitForFunction(() => (document.getElementById('photo') as HTMLImageElement).naturalWidth > 0);
    const after = await shown(page);
    expect(after.videos, 'the video is hidden').toEqual([]);
    expect(await page.$eval('video', (v) => ({ paused: v.paused, source: !!v.srcObject || v.hasAttribute('src') }))).toEqual({ paused: true, source: false });
    // Nothing is left drawn over where the video was.
    const left = await waitFor(async () => {
      const all = (await ext.overlays(page))?.flatMap((o) => o.faces) ?? [];
      return all.length === 0 ? 'none' : null;
    }, 10_000);
    expect(left).toBe('none');
    expect(after.brokenImages).toEqual([]);
  });

  it('made no request beyond 127.0.0.1 and the extension itself', () => {
    expect(outsideRequests(ext)).toEqual([]);
  });
});
