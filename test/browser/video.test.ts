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

  /** Frames the page's content script has had analysed so far. */
  const analysedFrames = async (tab = page) => {
    for (const realm of tab.extensionRealms()) {
      const n = await realm.evaluate(() => (globalThis as { __faceml?: { stats(): { frames: number } } }).__faceml?.stats().frames ?? null).catch(() => null);
      if (n !== null) return n;
    }
    throw new Error('no content script in the page');
  };

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

  it('keeps each box on its face through object-fit, resizing, moving and scrolling', async () => {
    // Where the expected faces are on screen now, from the video's layout (computed here, not by
    // the extension): the frame is 640x480, scaled per object-fit into the element's box.
    const expectedOnScreen = () =>
      page.evaluate((crops: { x: number; y: number; width: number; height: number }[]) => {
        const v = document.querySelector('video')!;
        const b = v.getBoundingClientRect();
        const fit = getComputedStyle(v).objectFit;
        const sx0 = b.width / 640;
        const sy0 = b.height / 480;
        const s = fit === 'cover' ? Math.max(sx0, sy0) : fit === 'fill' ? null : Math.min(sx0, sy0);
        const [sx, sy] = s === null ? [sx0, sy0] : [s, s];
        const left = b.left + (b.width - 640 * sx) / 2;
        const top = b.top + (b.height - 480 * sy) / 2;
        return crops.map((c) => ({ x: left + c.x * sx, y: top + c.y * sy, width: c.width * sx, height: c.height * sy }));
      }, expected.map((e) => e.crop));
    // Every expected face has a drawn box centred on it (within a quarter of its size) and of a
    // similar size: the cascade's box is a little tighter than the composed face crop.
    const aligned = async () => {
      const want = await expectedOnScreen();
      const drawn = ((await ext.overlays(page))?.[0]?.faces ?? []).map((f) => f.rect).filter((r) => r !== null);
      return want.every((w) =>
        drawn.some((d) => {
          const dx = Math.abs(d.x + d.width / 2 - (w.x + w.width / 2));
          const dy = Math.abs(d.y + d.height / 2 - (w.y + w.height / 2));
          return dx < w.width / 4 && dy < w.height / 4 && d.width / w.width > 0.5 && d.width / w.width < 1.5;
        }),
      );
    };
    const layouts: [string, string][] = [
      ['as loaded', ''],
      ['object-fit: cover in a square box', 'width: 500px; height: 500px; object-fit: cover'],
      ['object-fit: contain in a tall box', 'width: 360px; height: 560px; object-fit: contain'],
      ['object-fit: fill, stretched', 'width: 700px; height: 400px; object-fit: fill'],
      ['moved right and down', 'width: 480px; height: 360px; margin: 90px 0 0 150px'],
    ];
    for (const [name, style] of layouts) {
      await page.evaluate((css: string) => document.querySelector('video')!.setAttribute('style', css), style);
      expect(await waitFor(aligned, 10_000), `boxes on the faces: ${name}`).toBe(true);
    }
    await page.evaluate(() => {
      document.body.style.minHeight = '3000px';
      window.scrollTo(0, 200);
    });
    expect(await waitFor(aligned, 10_000), 'boxes on the faces: scrolled by 200 px').toBe(true);
    await page.evaluate(() => {
      window.scrollTo(0, 0);
      document.body.style.minHeight = '';
      document.querySelector('video')!.removeAttribute('style');
    });
  });

  it('picks up a video added later, stops sampling while videos are paused, and slows to about a round a second while the tab is hidden', async () => {
    await page.evaluate(() => {
      const first = document.querySelector('video')!;
      const added = Object.assign(document.createElement('video'), { muted: true, autoplay: true, id: 'added', srcObject: first.srcObject });
      document.body.append(added);
      return added.play();
    });
    const both = await waitFor(async () => {
      const o = await ext.overlays(page);
      return o?.length === 2 && o.every((v) => v.faces.length >= 2) ? o : null;
    }, 30_000);
    expect(both, 'the added video has its own overlay with faces').toBeTruthy();

    await page.evaluate(() => document.querySelectorAll('video').forEach((v) => v.pause()));
    await new Promise((r) => setTimeout(r, 1000)); // a frame already in flight may still land
    const whilePaused = await analysedFrames();
    await new Promise((r) => setTimeout(r, 2000));
    expect(await analysedFrames(), 'no frames analysed while every video is paused').toBe(whilePaused);
    await page.evaluate(() => Promise.all([...document.querySelectorAll('video')].map((v) => v.play())));
    expect(await waitFor(async () => (await analysedFrames()) > whilePaused + 3, 10_000), 'sampling resumes on play').toBe(true);

    // Another tab in front hides this one: its videos go on at a reduced pace (a round about
    // every 0.7 s: history has no gap), far below the visible rate.
    const other = await ext.browser.newPage();
    await other.bringToFront();
    expect(await page.evaluate(() => document.visibilityState)).toBe('hidden');
    await new Promise((r) => setTimeout(r, 1000));
    const hiddenFrom = await analysedFrames();
    await new Promise((r) => setTimeout(r, 4000));
    const hiddenFrames = (await analysedFrames()) - hiddenFrom;
    console.log(`hidden tab: ${hiddenFrames} frames analysed in 4 s over 2 videos`);
    expect(hiddenFrames, 'frames still analysed while the tab is hidden').toBeGreaterThanOrEqual(2);
    expect(hiddenFrames, 'at a reduced rate').toBeLessThanOrEqual(20);
    const whileHidden = await analysedFrames();
    await other.close();
    await page.bringToFront();
    expect(await waitFor(async () => (await analysedFrames()) > whileHidden + 3, 10_000), 'sampling resumes when the tab is shown').toBe(true);
    await page.evaluate(() => document.getElementById('added')!.remove());
    expect(await waitFor(async () => (await ext.overlays(page))?.length === 1, 10_000)).toBe(true);
  });

  it('toggling off removes the overlays', async () => {
    await ext.clickAction(page);
    const gone = await waitFor(async () => (await page.$$('faceml-overlay')).length === 0, 10_000);
    expect(gone).toBe(true);
    expect(await ext.overlays(page)).toEqual([]);
  });

  /** The popup's toggle: what the extension tells the user about this tab. */
  const popupSaysOn = async (tab = page) => {
    const popup = await ext.openPopup(tab);
    await popup.waitForSelector('#toggle:not([disabled])', { timeout: 15_000 });
    const pressed = await popup.$eval('#toggle', (b) => b.getAttribute('aria-pressed'));
    await popup.close();
    return pressed === 'true';
  };
  const engineOpen = () => ext.browser.targets().some((t) => t.url().endsWith('/offscreen.html'));

  it('stays on through an in-page navigation (history.pushState, as YouTube and Meet do) and is off after a reload', async () => {
    await ext.clickAction(page);
    expect(await waitFor(async () => ((await ext.overlays(page))?.[0]?.faces.length ?? 0) >= 2, 60_000), 'overlays appeared').toBe(true);

    await page.evaluate(() => history.pushState(null, '', `${location.pathname}${location.search}&view=2`));
    await new Promise((r) => setTimeout(r, 3000)); // the worker's tab events have come and gone
    const afterPush = await analysedFrames();
    expect(await waitFor(async () => (await analysedFrames()) > afterPush + 3, 15_000), 'frames are still analysed after pushState').toBe(true);
    expect(((await ext.overlays(page)) ?? [])[0]?.faces.length ?? 0, 'labels still drawn').toBeGreaterThanOrEqual(2);
    expect(await popupSaysOn(), 'the popup still shows detection on').toBe(true);
    expect(engineOpen(), 'the engine is still open').toBe(true);

    await page.reload();
    await waitForVideo(page);
    expect(await ext.overlays(page), 'a reloaded page has no FaceML overlay').toBeNull();
    expect(await waitFor(async () => !(await popupSaysOn()), 15_000), 'the popup shows detection off after the reload').toBe(true);
    expect(await waitFor(async () => !engineOpen(), 15_000), 'no tab needs the engine: its offscreen document is closed').toBe(true);
    // One click turns it on again (not an "off" for a tab the worker still thought was on).
    await ext.clickAction(page);
    expect(await waitFor(async () => ((await ext.overlays(page))?.[0]?.faces.length ?? 0) >= 2, 60_000), 'overlays after turning on again').toBe(true);
    await ext.clickAction(page);
    expect(await waitFor(async () => (await page.$$('faceml-overlay')).length === 0, 10_000)).toBe(true);
  });

  it('is off, and says so, when the user leaves a video page and comes back through the back-forward cache', async () => {
    // A plain video file (the canvas-stream page above holds a live MediaStreamTrack, which keeps
    // a page out of the cache), as on YouTube.
    videoFromImage(path.join(framesDir, 'faces.png'), path.join(framesDir, 'faces.webm'));
    const tab = await ext.browser.newPage();
    try {
      await tab.setViewport({ width: 900, height: 700 });
      await tab.goto(`${site.origin}/clip.html?src=faces.webm`);
      await waitForVideo(tab);
      await ext.clickAction(tab);
      expect(await waitFor(async () => ((await ext.overlays(tab))?.[0]?.faces.length ?? 0) >= 2, 60_000), 'overlays appeared').toBe(true);
      await tab.evaluate(() => ((window as { leftAt?: number }).leftAt = Date.now()));
      const cdp = await tab.createCDPSession();
      await cdp.send('Page.enable');
      const notCached: string[] = [];
      cdp.on('Page.backForwardCacheNotUsed', (e) => notCached.push(JSON.stringify(e.notRestoredExplanations)));
      await tab.goto(`${site.origin}/images.html`);
      await tab.goBack();
      expect(notCached, 'the page was kept in the back-forward cache').toEqual([]);
      expect(await tab.evaluate(() => (window as { leftAt?: number }).leftAt !== undefined), 'the same document came back').toBe(true);
      // Chromium pauses media going into the cache; the user presses play again.
      await tab.evaluate(() => document.querySelector('video')!.play());
      // The content script stopped at pagehide: though the page, its script and a playing video
      // are back, nothing samples and nothing is drawn, and the popup agrees.
      const before = await analysedFrames(tab);
      await new Promise((r) => setTimeout(r, 2000));
      expect(await analysedFrames(tab), 'no frame analysed after coming back').toBe(before);
      expect(((await ext.overlays(tab)) ?? []).flatMap((v) => v.faces), 'no labels after coming back').toEqual([]);
      expect(await waitFor(async () => !(await popupSaysOn(tab)), 15_000), 'the popup shows detection off').toBe(true);
      await ext.clickAction(tab);
      expect(await waitFor(async () => ((await ext.overlays(tab))?.[0]?.faces.length ?? 0) >= 2, 60_000), 'one click turns it on again').toBe(true);
      await ext.clickAction(tab);
      expect(await waitFor(async () => (await tab.$$('faceml-overlay')).length === 0, 10_000)).toBe(true);
    } finally {
      await tab.close();
    }
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
      // The page cannot read the labels as text (they would tell it what the video shows).
      const found = await tab.evaluate((words: string[]) => words.filter((w) => (window as unknown as { find: (s: string) => boolean }).find(w)), [...labels, '%']);
      expect(found, 'label text the page finds with window.find').toEqual([]);
      await ext.clickAction(tab);
      await tab.close();
    } finally {
      await otherOrigin.close();
    }
  });

  it('does not analyse an invisible video laid over a cross-origin frame, nor a video a frame covers', async () => {
    videoFromImage(path.join(framesDir, 'faces.png'), path.join(framesDir, 'clip.webm'));
    const otherOrigin = await serveStatic([framesDir]);
    try {
      for (const layout of ['hidden', 'covered']) {
        const tab = await ext.browser.newPage();
        await tab.setViewport({ width: 900, height: 700 });
        const src = encodeURIComponent(`${otherOrigin.origin}/clip.webm`);
        await tab.goto(`${site.origin}/covered.html?layout=${layout}&src=${src}&frame=${encodeURIComponent(`${otherOrigin.origin}/faces.png`)}`);
        await waitForVideo(tab);
        await tab.bringToFront();
        await ext.clickAction(tab);
        // Long enough for several tab captures (the same page shape with a visible video is
        // analysed within seconds: the test above).
        await new Promise((r) => setTimeout(r, 6000));
        const overlays = (await ext.overlays(tab)) ?? [];
        console.log(`${layout} video: ${JSON.stringify(overlays.map((o) => ({ kind: o.kind, mode: o.mode, faces: o.faces.length })))}`);
        // The video is not analysed; a frame the user sees is (covered: the frame is on top).
        expect(overlays.filter((o) => o.kind === 'video').every((o) => o.faces.length === 0), `${layout}: no face analysed in the video`).toBe(true);
        if (layout === 'hidden') expect(overlays.every((o) => o.faces.length === 0), 'hidden: nothing analysed under the invisible video').toBe(true);
        await ext.clickAction(tab);
        await tab.close();
      }
    } finally {
      await otherOrigin.close();
    }
  });

  it('runs BlazeFace by default, and the Haar cascade once chosen in settings (the engine restarts with it)', async () => {
    const store = await ext.storagePage();
    const engine = () => store.evaluate(() => (globalThis as any).chrome.runtime.sendMessage({ type: 'faceml/engine-status' }).catch(() => null));
    const choose = (detector: string) =>
      store.evaluate(async (d: string) => {
        const local = (globalThis as any).chrome.storage.local;
        const settings = (await local.get('faceml:settings'))['faceml:settings'] ?? {};
        await local.set({ 'faceml:settings': { ...settings, detector: d } });
      }, detector);
    const tab = await ext.browser.newPage();
    await tab.goto(`${site.origin}/video.html?frames=faces.png`);
    await waitForVideo(tab);
    await tab.bringToFront();
    await ext.clickAction(tab);
    const labelled = () => waitFor(async () => ((await ext.overlays(tab))?.[0]?.faces.length ?? 0) >= 2 || null, 60_000);
    expect(await labelled(), 'faces labelled with the default detector').toBe(true);
    expect((await engine())?.detector).toBe('blazeface');
    for (const detector of ['haar', 'blazeface']) {
      await choose(detector);
      const restarted = await waitFor(async () => {
        const s = await engine();
        return s?.state === 'ready' && s.detector === detector ? s : null;
      }, 60_000);
      expect(restarted?.detail, `engine restarted with ${detector}`).toContain(detector === 'haar' ? 'Haar cascade' : 'BlazeFace');
      // Frames analysed by the new engine, not overlays left from the old one.
      const before = await analysedFrames(tab);
      expect(await waitFor(async () => (await analysedFrames(tab)) >= before + 5 || null, 60_000), `frames analysed with ${detector}`).toBe(true);
      expect(await labelled(), `faces labelled with ${detector}`).toBe(true);
    }
    await ext.clickAction(tab);
    await tab.close();
  });

  it('made no request beyond 127.0.0.1 and the extension itself', () => {
    expect(ext.requests.length).toBeGreaterThan(0);
    expect(outsideRequests(ext)).toEqual([]);
  });
});
