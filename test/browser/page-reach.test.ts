import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer';
import { launchWithExtension, outsideRequests, waitFor, waitForVideo, type ExtensionBrowser, type OverlaySnapshot } from '../helpers/browser';
import { ferDir } from '../helpers/fer';
import { getPipeline } from '../helpers/pipeline';
import { type ExpectedFace, writeClearFacesFrame, writeGalleryFrame } from '../helpers/scenes';
import { serveStatic } from '../helpers/static-server';
import { videoFromImage } from '../helpers/media';

const testDir = ferDir('test');
const PAGES = path.join(import.meta.dirname, 'pages');

/** Faces of every source of the page, in every frame. */
const allFaces = (o: OverlaySnapshot[] | null) => (o ?? []).flatMap((s) => s.faces);

describe.skipIf(!testDir)('extension in Chromium: every page shape a call or video site uses', () => {
  let ext: ExtensionBrowser;
  let site: Awaited<ReturnType<typeof serveStatic>>;
  let other: Awaited<ReturnType<typeof serveStatic>>;
  let expected: ExpectedFace[];
  let galleryFaces = 0;
  let framesDir: string;

  beforeAll(async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'faceml-reach-'));
    framesDir = dir;
    expected = await writeClearFacesFrame(path.join(dir, 'faces.png'));
    const { detector } = await getPipeline();
    galleryFaces = await writeGalleryFrame(path.join(dir, 'gallery.png'), testDir!, async (s) => detector.detect(s.rgba));
    // Two loopback origins: the page's, and another site's (an embedded player, a call widget).
    site = await serveStatic([PAGES, dir]);
    other = await serveStatic([PAGES, dir]);
    ext = await launchWithExtension();
  });

  afterAll(async () => {
    if (ext) expect(outsideRequests(ext), 'requests outside loopback and the extension').toEqual([]);
    await ext?.close();
    await site?.close();
    await other?.close();
  });

  /** Opens a page shape, turns detection on, and waits until `want` faces are labelled (or 60 s). */
  async function detect(query: string, want: number, viewport = { width: 1000, height: 800 }): Promise<{ tab: Page; overlays: OverlaySnapshot[] | null }> {
    const tab = await ext.browser.newPage();
    await tab.setViewport(viewport);
    await tab.goto(`${site.origin}/reach.html?${query}`);
    await waitForVideo(tab);
    await tab.bringToFront();
    await ext.clickAction(tab);
    const overlays = await waitFor(async () => {
      const o = await ext.overlays(tab);
      return allFaces(o).length >= want ? o : null;
    }, 60_000);
    return { tab, overlays: overlays ?? (await ext.overlays(tab)) };
  }

  /** Labels drawn after smoothing settled, and how many of the expected emotions they include. */
  async function settledLabels(tab: Page): Promise<{ labels: string[]; matches: number; overlays: OverlaySnapshot[] }> {
    await new Promise((r) => setTimeout(r, 2000));
    const overlays = (await ext.overlays(tab)) ?? [];
    const labels = allFaces(overlays).map((f) => f.emotion);
    return { labels, matches: expected.filter((e) => labels.includes(e.label)).length, overlays };
  }

  /** The popup's status line for a tab. */
  async function popupStatus(tab: Page): Promise<{ text: string; buttons: string[] }> {
    const popup = await ext.openPopup(tab);
    await new Promise((r) => setTimeout(r, 1200));
    const text = await popup.$eval('#status', (s) => s.textContent ?? '');
    const buttons = await popup.$$eval('button', (bs) => bs.map((b) => b.textContent ?? ''));
    await popup.close();
    return { text, buttons };
  }

  const innerVideo = (origin: string) => encodeURIComponent(`${origin}/reach.html?shape=video&frames=faces.png`);

  it('a video in a same-origin frame: labelled by the content script running in the frame', async () => {
    const { tab, overlays } = await detect(`shape=frame&inner=${innerVideo(site.origin)}`, 2);
    const { labels, matches, overlays: settled } = await settledLabels(tab);
    console.log(`same-origin frame: ${JSON.stringify(settled.map((s) => ({ frame: s.frame === 'top' ? 'top' : 'sub', kind: s.kind, mode: s.mode, faces: s.faces.length })))}; labels ${labels.join(', ')}`);
    expect(overlays?.some((s) => s.frame !== 'top' && s.kind === 'video' && s.mode === 'pixels' && s.faces.length >= 2), 'the frame draws the faces').toBe(true);
    expect(matches).toBeGreaterThanOrEqual(2);
    // The frame's seconds go to the tab's one history session (frame sources are numbered from 1000 up).
    const sessionRows = async () =>
      (await ext.worker()).evaluate(async (url: string) => {
        const history = (globalThis as any).faceml.history;
        const session = (await history.sessions()).filter((s: { pageUrl: string }) => url.startsWith(s.pageUrl.split('?')[0]));
        return { sessions: session.length, rows: session.length ? ((await history.sessionRows(session[0].id)) as number[][]).length : 0 };
      }, tab.url());
    const before = await waitFor(async () => ((await sessionRows()).rows > 0 ? sessionRows() : null), 15_000);
    console.log(`same-origin frame history: ${JSON.stringify(before)}`);
    expect(before?.sessions, 'one session for the tab').toBe(1);
    // The frame navigates away mid-analysis: its overlays go with it, the page goes on.
    await tab.evaluate(() => (document.querySelector('iframe')!.src = 'about:blank'));
    expect(await waitFor(async () => allFaces(await ext.overlays(tab)).length === 0, 10_000), 'no stale overlay after the frame navigated').toBe(true);
    expect((await popupStatus(tab)).text).toContain('Detecting');
    await ext.clickAction(tab);
    // Nothing lost: the rows saved before the frame left are still there.
    expect((await sessionRows()).rows).toBeGreaterThanOrEqual(before!.rows);
    await tab.close();
  });

  it('a video in a cross-origin frame FaceML may not read: analysed from captures of its rectangle, and the popup names the site and offers the step', async () => {
    const { tab, overlays } = await detect(`shape=frame&inner=${innerVideo(other.origin)}`, 2);
    const { labels, matches } = await settledLabels(tab);
    console.log(`cross-origin frame: ${JSON.stringify(overlays?.map((s) => ({ frame: s.frame === 'top' ? 'top' : 'sub', kind: s.kind, mode: s.mode, faces: s.faces.length })))}; labels ${labels.join(', ')}`);
    expect(overlays?.find((s) => s.kind === 'frame')?.mode).toBe('capture');
    expect(matches).toBeGreaterThanOrEqual(2);
    const { text, buttons } = await popupStatus(tab);
    console.log(`popup: ${text}`);
    expect(text).toContain(other.origin);
    expect(text).not.toContain('no playing video');
    expect(buttons.some((b) => b.includes(`Allow FaceML to read frames from ${new URL(other.origin).hostname}`))).toBe(true);
    await ext.clickAction(tab);
    await tab.close();
  });

  for (const mode of ['open', 'closed'] as const) {
    it(`a video inside a ${mode} shadow root${mode === 'closed' ? ', added after detection started, then removed' : ''}`, async () => {
      const { tab, overlays } = await detect(`shape=shadow-${mode}&frames=faces.png${mode === 'closed' ? '&late=1' : ''}`, 2);
      const { labels, matches } = await settledLabels(tab);
      console.log(`${mode} shadow root: ${JSON.stringify(overlays?.map((s) => ({ kind: s.kind, mode: s.mode, faces: s.faces.length })))}; labels ${labels.join(', ')}`);
      expect(overlays?.[0]?.kind).toBe('video');
      expect(matches).toBeGreaterThanOrEqual(2);
      if (mode === 'closed') {
        await tab.evaluate(() => (window as unknown as { removeShadowRoot: () => void }).removeShadowRoot());
        expect(await waitFor(async () => ((await ext.overlays(tab)) ?? []).length === 0, 10_000), 'no stale overlay after the shadow root went').toBe(true);
        expect(await tab.$$eval('faceml-overlay', (els) => els.length)).toBe(0);
      }
      await ext.clickAction(tab);
      await tab.close();
    });
  }

  for (const kind of ['2d', 'webgl'] as const) {
    it(`a call drawn into a ${kind === '2d' ? '2D' : 'WebGL'} canvas`, async () => {
      const { tab, overlays } = await detect(`shape=canvas-${kind}&frames=faces.png`, 2);
      const { labels, matches } = await settledLabels(tab);
      console.log(`${kind} canvas: ${JSON.stringify(overlays?.map((s) => ({ kind: s.kind, mode: s.mode, faces: s.faces.length })))}; labels ${labels.join(', ')}`);
      expect(overlays?.[0]?.kind).toBe('canvas');
      expect(matches).toBeGreaterThanOrEqual(2);
      const streams = () => tab.mainFrame().extensionRealms()[0].evaluate(() => (globalThis as { __faceml?: { openCanvasStreams: number } }).__faceml?.openCanvasStreams ?? -1);
      if (kind === 'webgl') expect(await streams(), 'the WebGL canvas is read through a stream').toBe(1);
      await ext.clickAction(tab);
      expect(await waitFor(async () => (await streams()) === 0, 5_000), 'no canvas stream outlives detection').toBe(true);
      await tab.close();
    });
  }

  it('a still canvas (a chart), an empty one and a zero-size one are not videos: no overlay, no crash, the popup says so, and nothing outlives detection', async () => {
    for (const shape of ['canvas-still', 'canvas-empty', 'canvas-zero']) {
      const tab = await ext.browser.newPage();
      await tab.goto(`${site.origin}/reach.html?shape=${shape}&frames=faces.png`);
      await waitForVideo(tab);
      await tab.bringToFront();
      await ext.clickAction(tab);
      await new Promise((r) => setTimeout(r, 5000));
      const overlays = await ext.overlays(tab);
      expect(overlays, `${shape}: the content script runs`).not.toBeNull();
      expect(allFaces(overlays), `${shape}: nothing labelled`).toEqual([]);
      expect(await tab.$$eval('faceml-overlay', (els) => els.length), `${shape}: no overlay left`).toBe(0);
      expect((await popupStatus(tab)).text).toContain('no playing video');
      await ext.clickAction(tab);
      // An empty canvas reads back transparent and is watched through a stream: it must end too.
      const streams = await tab.mainFrame().extensionRealms()[0].evaluate(() => (globalThis as { __faceml?: { openCanvasStreams: number } }).__faceml?.openCanvasStreams ?? -1);
      expect(streams, `${shape}: canvas streams left after detection is off`).toBe(0);
      await tab.close();
    }
  });

  it('a video whose source changes from another origin to its own goes back from captures to its own pixels', async () => {
    videoFromImage(path.join(framesDir, 'faces.png'), path.join(framesDir, 'clip.webm'));
    const tab = await ext.browser.newPage();
    await tab.setViewport({ width: 900, height: 700 });
    await tab.goto(`${site.origin}/clip.html?src=${encodeURIComponent(`${other.origin}/clip.webm`)}`);
    await waitForVideo(tab);
    await tab.bringToFront();
    await ext.clickAction(tab);
    const captured = await waitFor(async () => ((await ext.overlays(tab))?.[0]?.faces.length ? (await ext.overlays(tab))![0] : null), 60_000);
    expect(captured?.mode, 'another origin: tab captures').toBe('capture');
    await tab.evaluate((src: string) => {
      const v = document.querySelector('video')!;
      v.src = src;
      return v.play();
    }, `${site.origin}/clip.webm`);
    const own = await waitFor(async () => {
      const o = (await ext.overlays(tab))?.[0];
      return o?.mode === 'pixels' && o.faces.length >= 2 ? o : null;
    }, 30_000);
    expect(own?.mode, 'its own origin: read directly again').toBe('pixels');
    await ext.clickAction(tab);
    await tab.close();
  });

  it('a call tab in the background goes on at about a frame a second: history keeps arriving for every face for 60 s', async () => {
    const { tab } = await detect('shape=video&frames=faces.png', 3);
    expect(allFaces(await ext.overlays(tab)).length).toBeGreaterThanOrEqual(2);
    // Another tab in front: the call's tab is hidden, as when the user switches tabs.
    const front = await ext.browser.newPage();
    await front.goto(`${site.origin}/reach.html?shape=canvas-zero`);
    await front.bringToFront();
    expect(await waitFor(async () => (await tab.evaluate(() => document.visibilityState)) === 'hidden', 10_000), 'the call tab is hidden').toBe(true);
    const from = Math.ceil(Date.now() / 1000) + 2;
    // 60 hidden seconds, then a few more for the last of them to be flushed to history.
    await new Promise((r) => setTimeout(r, 66_000));
    const to = from + 60;
    const live = await tab.evaluate(() => document.visibilityState);
    // Seconds that have a row, per face, while hidden (rows: [second, source, face, frames, ...scores]).
    const perFace = await (await ext.worker()).evaluate(
      async (url: string, a: number, b: number) => {
        const history = (globalThis as any).faceml.history;
        const [session] = (await history.sessions()).filter((s: { pageUrl: string; updated: number }) => s.pageUrl.split('?')[0] === url).sort((x: { updated: number }, y: { updated: number }) => y.updated - x.updated);
        const rows = (await history.sessionRows(session.id)) as number[][];
        const seconds = new Map<string, Set<number>>();
        for (const r of rows) if (r[0] >= a && r[0] < b) (seconds.get(`${r[1]}:${r[2]}`) ?? seconds.set(`${r[1]}:${r[2]}`, new Set()).get(`${r[1]}:${r[2]}`)!).add(r[0]);
        return [...seconds.values()].map((s) => s.size);
      },
      tab.url().split('?')[0],
      from,
      to,
    );
    console.log(`background tab (${live}): seconds with a history row out of 60, per face: ${perFace.join(', ')}`);
    const covered = perFace.filter((n) => n >= 48);
    expect(covered.length, 'faces with a row in at least 48 of the 60 hidden seconds').toBeGreaterThanOrEqual(2);
    await tab.bringToFront();
    await ext.clickAction(tab);
    await front.close();
    await tab.close();
  });

  it('a 1080p gallery of 16 small faces (53-80 px on screen) is labelled', async () => {
    expect(galleryFaces, 'FER test faces BlazeFace finds alone at 100 px').toBe(16);
    const { tab } = await detect('shape=video&frames=gallery.png&w=1920&h=1080&sw=1280&sh=720', 14, { width: 1400, height: 900 });
    await new Promise((r) => setTimeout(r, 2000));
    const faces = allFaces(await ext.overlays(tab));
    const sizes = faces.map((f) => Math.round(f.rect?.width ?? 0));
    console.log(`1080p gallery: ${faces.length} of 16 faces labelled; on-screen box widths ${sizes.join(', ')}`);
    expect(faces.length).toBeGreaterThanOrEqual(14);
    expect(faces.length).toBeLessThanOrEqual(17);
    await ext.clickAction(tab);
    await tab.close();
  });
});
