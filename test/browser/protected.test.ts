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
import { videoFromImage } from '../helpers/media';
import { serveStatic } from '../helpers/static-server';

const testDir = ferDir('test');
const PAGES = path.join(import.meta.dirname, 'pages');

describe.skipIf(!testDir)('extension in Chromium: fullscreen and protected video', () => {
  let ext: ExtensionBrowser;
  let site: Awaited<ReturnType<typeof serveStatic>>;
  let page: Page;
  const live = (p: Page = page) =>
    p.extensionRealms()[0].evaluate(() => {
      const l = (globalThis as any).__faceml.live();
      return { faces: l.faces.length as number, notice: l.videos[0]?.notice as string | null };
    });

  beforeAll(async () => {
    const [face] = await cascadeFaces(1, 220, 60);
    const scene = await composeScene(640, 480, [{ file: face.file, x: 200, y: 120, size: 220 }], 41);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'faceml-protected-'));
    await writeFile(path.join(dir, 'one.png'), await sharp(scene.jpeg).png().toBuffer());
    videoFromImage(path.join(dir, 'one.png'), path.join(dir, 'one.webm'));
    site = await serveStatic([PAGES, dir]);
    ext = await launchWithExtension();
    page = await ext.browser.newPage();
    await page.setViewport({ width: 900, height: 700 });
    await page.goto(`${site.origin}/video.html?frames=one.png`);
    await waitForVideo(page);
    await ext.clickAction(page);
    expect(await waitFor(async () => ((await live()).faces > 0 ? true : null), 60_000)).toBe(true);
  });

  afterAll(async () => {
    await ext?.close();
    await site?.close();
  });

  it('keeps the overlay over the video in fullscreen', async () => {
    await page.click('video'); // a user gesture: fullscreen needs one
    await page.evaluate(() => document.body.requestFullscreen());
    await page.waitForFunction(() => document.fullscreenElement === document.body);
    const placed = await waitFor(async () => {
      const inside = await page.evaluate(() => !!document.fullscreenElement?.querySelector(':scope > faceml-overlay'));
      return inside && (await live()).faces > 0 ? true : null;
    }, 10_000);
    expect(placed, 'overlay inside the fullscreen element, still labelling').toBe(true);
    await page.evaluate(() => document.exitFullscreen());
    await page.waitForFunction(() => !document.fullscreenElement);
    expect(await waitFor(async () => (await page.evaluate(() => document.documentElement.querySelector(':scope > faceml-overlay') !== null)) || null, 5000)).toBe(true);
  });

  it('says "cannot analyze protected video" for encrypted media instead of guessing labels', async () => {
    // A video file (MediaKeys cannot be set on a camera stream), analysed first...
    const clip = await ext.browser.newPage();
    await clip.goto(`${site.origin}/clip.html?src=one.webm`);
    await waitForVideo(clip);
    await ext.clickAction(clip);
    expect(await waitFor(async () => ((await live(clip)).faces > 0 ? true : null), 30_000)).toBe(true);
    // ...then it gets MediaKeys, as DRM players set up (Clear Key EME, built into Chromium).
    await clip.evaluate(async () => {
      const access = await navigator.requestMediaKeySystemAccess('org.w3.clearkey', [
        { initDataTypes: ['keyids'], videoCapabilities: [{ contentType: 'video/webm; codecs="vp8"' }] },
      ]);
      await document.querySelector('video')!.setMediaKeys(await access.createMediaKeys());
    });
    const state = await waitFor(async () => {
      const l = await live(clip);
      return l.notice === 'FaceML: cannot analyze protected video' && l.faces === 0 ? l : null;
    }, 10_000);
    expect(state).toBeTruthy();
    const popup = await ext.openPopup(clip);
    await popup.waitForFunction(() => /Cannot analyze: cannot analyze protected video/.test(document.querySelector('#status')?.textContent ?? ''), { timeout: 10_000 });
    await popup.close();
  });

  it('made no request beyond 127.0.0.1 and the extension itself', () => {
    expect(outsideRequests(ext)).toEqual([]);
  });
});
