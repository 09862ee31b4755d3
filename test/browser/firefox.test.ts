import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/browser';
import { ferDir } from '../helpers/fer';
import { FIREFOX_PATH, launchFirefoxWithExtension, type FirefoxWithExtension } from '../helpers/firefox';
import { type ExpectedFace, writeClearFacesFrame, writeImageScenes } from '../helpers/scenes';
import { serveStatic } from '../helpers/static-server';

const testDir = ferDir('test');
const PAGES = path.join(import.meta.dirname, 'pages');
if (!FIREFOX_PATH) console.warn('\n*** Firefox not found: the Firefox extension test is SKIPPED. Run scripts/setup.sh (apt-get install -y firefox-esr) or set FIREFOX_PATH. ***\n');

/**
 * The Firefox build (`npm run build:firefox`, MV2: no offscreen documents, so the engine runs in
 * the background page) installed in a real Firefox: the keyboard command, video overlays, the
 * image context menu, history, and no traffic beyond the machine.
 */
describe.skipIf(!testDir || !FIREFOX_PATH)('extension in Firefox', () => {
  let ff: FirefoxWithExtension;
  let site: Awaited<ReturnType<typeof serveStatic>>;
  let other: Awaited<ReturnType<typeof serveStatic>>;
  let crossSite: Awaited<ReturnType<typeof serveStatic>>;
  let expected: ExpectedFace[];
  let failures: string[] = [];

  beforeAll(async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'faceml-firefox-'));
    expected = await writeClearFacesFrame(path.join(dir, 'faces.png'));
    await writeImageScenes(dir);
    site = await serveStatic([PAGES, dir]);
    other = await serveStatic([dir]); // another origin, no CORS headers
    crossSite = await serveStatic([PAGES, dir]); // another site's pages (an embedded player)
    ff = await launchFirefoxWithExtension();
  });

  afterAll(async () => {
    // On failure, Firefox's console (the add-on's background page included) says why.
    if (failures.length && ff) console.log(`Firefox console:\n${(await ff.consoleMessages().catch(() => [])).slice(-40).join('\n')}`);
    await ff?.close();
    await site?.close();
    await other?.close();
    await crossSite?.close();
  });

  const track = async (fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (err) {
      failures.push(String(err));
      throw err;
    }
  };

  it('the keyboard command turns detection on for a video tab: labels over the faces, engine in the background page, kept through pushState; again turns it off, and on again restarts the engine', () =>
    track(async () => {
      await ff.openTab(`${site.origin}/video.html?frames=faces.png`);
      expect(await waitFor(() => ff.inPage<boolean>('return window.videoReady === true'), 20_000)).toBe(true);
      expect(await ff.runShortcut()).toBe('alt,shift+E');
      const drawn = await waitFor(async () => {
        const overlays = await ff.overlays();
        return overlays[0]?.length >= 2 ? overlays[0] : null;
      }, 90_000);
      expect(drawn, 'overlays appeared').toBeTruthy();
      await new Promise((r) => setTimeout(r, 2000)); // let smoothing settle
      const labels = (await ff.overlays())[0].map((f) => f.emotion);
      console.log(`Firefox overlay labels: ${labels.join(', ')} (expected ${expected.map((e) => e.label).join(', ')})`);
      expect(expected.filter((e) => labels.includes(e.label)).length).toBeGreaterThanOrEqual(2);
      expect(await ff.inPage<string[]>(`return [...document.querySelectorAll('faceml-overlay')].map((e) => getComputedStyle(e).pointerEvents)`)).toEqual(['none']);

      // An in-page navigation (history.pushState) keeps detection on: labels stay, and the next
      // press turns it off rather than on.
      await ff.inPage('history.pushState(null, "", location.pathname + location.search + "&view=2")');
      await new Promise((r) => setTimeout(r, 3000));
      expect(((await ff.overlays())[0]?.length ?? 0), 'labels after pushState').toBeGreaterThanOrEqual(2);

      expect(await ff.runShortcut()).toBe('alt,shift+E');
      expect(await waitFor(async () => (await ff.overlays()).length === 0, 10_000)).toBe(true);

      // On again: the engine closed with the last tab is started afresh and answers the frames.
      expect(await ff.runShortcut()).toBe('alt,shift+E');
      expect(await waitFor(async () => ((await ff.overlays())[0]?.length ?? 0) >= 2, 90_000), 'overlays after restart').toBe(true);
      expect(await ff.runShortcut()).toBe('alt,shift+E');
      expect(await waitFor(async () => (await ff.overlays()).length === 0, 10_000)).toBe(true);
    }));

  // The page shapes of test/browser/page-reach.test.ts, in Firefox: videos in shadow roots (open,
  // and closed with the video added after detection started), a 2D canvas, a same-origin frame (its
  // own content script draws), a cross-origin one (read from tab captures, drawn by the page's).
  // Not a WebGL canvas: headless Firefox on this machine has no WebGL at all ("Exhausted GL driver
  // options"), so the page cannot draw one.
  for (const shape of ['shadow-open', 'shadow-closed&late=1', 'canvas-2d', 'frame', 'frame&cross=1'] as const) {
    it(`page shape ${shape}: the faces are labelled`, () =>
      track(async () => {
        const framed = shape.startsWith('frame');
        const inner = encodeURIComponent(`${shape.endsWith('cross=1') ? crossSite.origin : site.origin}/reach.html?shape=video&frames=faces.png`);
        await ff.openTab(`${site.origin}/reach.html?shape=${shape}&frames=faces.png${framed ? `&inner=${inner}` : ''}`);
        expect(await waitFor(() => ff.inPage<boolean>('return window.videoReady === true'), 20_000)).toBe(true);
        expect(await ff.runShortcut()).toBe('alt,shift+E');
        // A frame's overlays are drawn in the frame's own document: read them there.
        const read = async () => {
          if (shape !== 'frame') return (await ff.overlays()).flat();
          // Marionette names an element by its W3C WebDriver reference key.
          const frame = await ff.marionette.send<{ value: Record<string, string> }>('WebDriver:FindElement', { using: 'css selector', value: 'iframe' });
          await ff.marionette.send('WebDriver:SwitchToFrame', { element: frame.value['element-6066-11e4-a52e-4f735466cecf'] });
          try {
            return (await ff.overlays()).flat();
          } finally {
            await ff.marionette.send('WebDriver:SwitchToParentFrame');
          }
        };
        const drawn = await waitFor(async () => ((await read()).length >= 2 ? true : null), 90_000);
        expect(drawn, `overlays on ${shape}`).toBe(true);
        await new Promise((r) => setTimeout(r, 2000));
        const labels = (await read()).map((f) => f.emotion);
        console.log(`Firefox ${shape}: ${labels.join(', ')} (expected ${expected.map((e) => e.label).join(', ')})`);
        expect(expected.filter((e) => labels.includes(e.label)).length).toBeGreaterThanOrEqual(2);
        expect(await ff.runShortcut()).toBe('alt,shift+E');
        expect(await waitFor(async () => (await read()).length === 0, 10_000)).toBe(true);
      }));
  }

  it('"Analyze emotions in this image" from the real context menu, for a same-origin and a cross-origin image', () =>
    track(async () => {
      const same = `${site.origin}/one.png`;
      const cross = `${other.origin}/two.jpg`;
      await ff.openTab(`${site.origin}/images.html?same=${encodeURIComponent(same)}&cross=${encodeURIComponent(cross)}`);
      expect(await waitFor(() => ff.inPage<boolean>('return window.imagesReady === true'), 20_000)).toBe(true);
      expect(await ff.contextMenu('#same', 'Analyze emotions in this image')).toContain('Analyze emotions in this image');
      const first = await waitFor(async () => ((await ff.overlays())[0]?.length ? await ff.overlays() : null), 60_000);
      expect(first?.[0]).toHaveLength(1);
      await ff.contextMenu('#cross', 'Analyze emotions in this image');
      const both = await waitFor(async () => ((await ff.overlays())[1]?.length ? await ff.overlays() : null), 60_000);
      expect(both?.[1]).toHaveLength(2);
      for (const face of both!.flat()) expect(face.text).toMatch(/^\d+ · ((angry|disgust|fear|happy|neutral|sad|surprise) \d+%|uncertain)$/);
    }));

  it('history (side panel page) lists the video session and both analysed images', () =>
    track(async () => {
      await ff.openTab(`${ff.extensionBase}sidepanel.html`);
      await waitFor(() => ff.inPage<boolean>(`return [...document.querySelectorAll('button, [role=tab]')].some((b) => b.textContent.trim() === 'History')`), 10_000);
      await ff.inPage(`[...document.querySelectorAll('button, [role=tab]')].find((b) => b.textContent.trim() === 'History').click()`);
      const listed = await waitFor(async () => {
        const t = await ff.inPage<string>('return document.body.innerText');
        return t.includes('Analyzed images') && !t.includes('No detection sessions yet') ? t : null;
      }, 15_000);
      expect(listed, 'the history shows a session and images').toBeTruthy();
      // Firefox's content scripts can read storage.local (it has no access levels): FaceML keeps
      // nothing there; history, settings and model choice are in the extension's IndexedDB.
      const inStorageLocal = await ff.inPage<string[]>('return browser.storage.local.get(null).then((all) => Object.keys(all))');
      expect(inStorageLocal, 'FaceML data content scripts could read').toEqual([]);
      // Sessions: the first (video.html, labelled for seconds), the brief "on again" one and the
      // page-shape ones, newest shown first. Choose the first, then wait for its rows: the chart and shares render only once
      // they have loaded.
      const first = await ff.inPage<string>(`
        const select = document.querySelector('#panel-history select');
        const oldest = select.options[select.options.length - 1].value;
        select.value = oldest;
        select.dispatchEvent(new Event('change', { bubbles: true }));
        return oldest;`);
      const text = await waitFor(
        () => ff.inPage<string | null>(`return document.querySelector('[data-session="${first}"] .shares-table') ? document.body.innerText : null`),
        15_000,
      );
      expect(text, 'the first session shows its emotion shares').toBeTruthy();
      expect(text).toContain('FaceML test: video'); // the session, named by its page title
      // The table's last column: the whole session (all faces; the only column for one face).
      const share = (label: string) => Number(text!.match(new RegExp(`\\n${label}((?:\\t\\d+%)+)`))?.[1].split('\t').at(-1)!.replace('%', '') ?? 0);
      expect(expected.filter((e) => share(e.label) > 0).length, 'the expected emotions have a share of the session').toBeGreaterThanOrEqual(2);
      expect(text!.match(/\/images\.html/g)?.length).toBe(2);
    }));

  it('made no request beyond 127.0.0.1 and the extension itself', () =>
    track(async () => {
      const requests = await ff.requests();
      expect(requests.some((r) => r.url.startsWith(site.origin))).toBe(true);
      // Firefox's own background traffic (triggered by the system principal) is not ours; every
      // request a page or the add-on made must stay on the loopback.
      const ours = requests.filter((r) => r.by !== 'system');
      expect(ours.length).toBeGreaterThan(0);
      expect(ours.filter((r) => !/^https?:\/\/127\.0\.0\.1[:/]/.test(r.url))).toEqual([]);
    }));
});
