import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { Page } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeScene } from '../../src/node/synthetic';
import { launchWithExtension, outsideRequests, waitFor, type ExtensionBrowser } from '../helpers/browser';
import { ferDir } from '../helpers/fer';
import { videoFromImage } from '../helpers/media';
import { cascadeFaces } from '../helpers/scenes';
import { serveStatic } from '../helpers/static-server';

const testDir = ferDir('test');
const PAGES = path.join(import.meta.dirname, 'pages');

type Snapshot = { id: string; faces: { emotion: string; faceId: number }[] }[];

describe.skipIf(!testDir)('extension in Chromium: camera (fake device)', () => {
  let ext: ExtensionBrowser;
  let site: Awaited<ReturnType<typeof serveStatic>>;

  beforeAll(async () => {
    const faces = await cascadeFaces(2, 200, 80);
    const scene = await composeScene(640, 480, faces.map((f, i) => ({ file: f.file, x: 50 + i * 320, y: 130, size: 200 })), 4);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'faceml-camera-'));
    await writeFile(path.join(dir, 'camera.png'), await sharp(scene.jpeg).png().toBuffer());
    videoFromImage(path.join(dir, 'camera.png'), path.join(dir, 'camera.y4m'), 2, 10);
    site = await serveStatic([PAGES]);
    ext = await launchWithExtension([
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      `--use-file-for-fake-video-capture=${path.join(dir, 'camera.y4m')}`,
    ]);
  });

  afterAll(async () => {
    await ext?.close();
    await site?.close();
  });

  it('the webcam page shows the user\'s camera with faces and emotions', async () => {
    const page = await ext.browser.newPage();
    await page.goto(`chrome-extension://${ext.extensionId}/webcam.html`);
    const snapshot = () => page.evaluate(() => (globalThis as { __facemlWebcam?: { snapshot(): unknown } }).__facemlWebcam?.snapshot() as Snapshot);
    const seen = await waitFor(async () => ((await snapshot())?.[0]?.faces.length ?? 0) >= 2, 60_000);
    expect(seen, 'two faces labelled on the webcam view').toBe(true);
    // The status names the faces and their emotions.
    const said = await waitFor(async () => {
      const text = (await page.$eval('#status', (e) => e.textContent)) ?? '';
      return /^Detecting: 2 faces: (angry|disgust|fear|happy|neutral|sad|surprise) \d+%, (angry|disgust|fear|happy|neutral|sad|surprise) \d+%$/.test(text) ? text : null;
    }, 10_000);
    expect(said, 'status with the count and each emotion').toBeTruthy();
    // The preview is mirrored, and each box is drawn at its face's mirrored place.
    expect(await page.$eval('#camera', (v) => getComputedStyle(v).transform)).toBe('matrix(-1, 0, 0, 1, 0, 0)');
    const placement = await page.evaluate(() => {
      const v = document.getElementById('camera') as HTMLVideoElement;
      const r = v.getBoundingClientRect();
      const scale = r.width / v.videoWidth;
      const [tracked] = (globalThis as any).__facemlWebcam.snapshot() as { faces: { rect: { x: number; width: number }; box: { x: number; width: number } }[] }[];
      return tracked.faces.map((f) => ({ drawn: f.rect.x - r.left, mirrored: (v.videoWidth - f.box.x - f.box.width) * scale, unmirrored: f.box.x * scale }));
    });
    for (const p of placement) {
      expect(Math.abs(p.drawn - p.mirrored)).toBeLessThan(3);
      expect(Math.abs(p.drawn - p.unmirrored)).toBeGreaterThan(20);
    }
    // Stop, then Start again: the camera and the labels come back.
    await page.click('#toggle');
    expect(await snapshot()).toEqual([]);
    expect(await page.$eval('#toggle', (b) => b.textContent)).toBe('Start camera');
    await page.click('#toggle');
    expect(await waitFor(async () => ((await snapshot())?.[0]?.faces.length ?? 0) >= 2, 60_000), 'labels again after Start').toBe(true);
    expect(await page.$eval('#toggle', (b) => b.textContent)).toBe('Stop camera');
    await page.close();
  });

  it('a video call page: the remote <video> of a WebRTC call is analysed', async () => {
    const page: Page = await ext.browser.newPage();
    await page.goto(`${site.origin}/call.html`);
    await page.waitForFunction(() => (window as { videoReady?: boolean; callError?: string }).videoReady || (window as { callError?: string }).callError);
    expect(await page.evaluate(() => (window as { callError?: string }).callError ?? null)).toBeNull();
    await page.bringToFront();
    await ext.clickAction(page);
    const faces = await waitFor(async () => {
      const o = await ext.overlays(page);
      return (o?.[0]?.faces.length ?? 0) >= 2;
    }, 60_000);
    expect(faces, 'faces labelled on the remote video').toBe(true);
    await page.close();
  });

  it('made no request beyond 127.0.0.1 and the extension itself', () => {
    expect(ext.requests.length).toBeGreaterThan(0);
    expect(outsideRequests(ext)).toEqual([]);
  });
});
