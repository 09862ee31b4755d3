import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import puppeteer, { type Browser, type Page, type Target, type WebWorker } from 'puppeteer';
import { PROJECT_ROOT } from '../../src/node/paths';
import { netLogRequests } from './net-log';

export const EXTENSION_DIR = path.join(PROJECT_ROOT, '.output/chrome-mv3');

/** One video's overlay as the content script reports it (VideoSampler.snapshot). */
export interface OverlaySnapshot {
  id: string;
  /** 'video', 'canvas', or 'frame' (a frame FaceML cannot run in, analysed from captures). */
  kind: string;
  mode: string;
  /** The frame whose content script drew it: 'top', or the frame's URL. */
  frame: string;
  faces: { emotion: string; faceId: number; text: string; rect: { x: number; y: number; width: number; height: number } | null }[];
}

export interface ExtensionBrowser {
  browser: Browser;
  /** Every URL any page requested (page request events). */
  requests: string[];
  /** The browser's NetLog file: every request of every context (outsideRequests reads it). */
  netLog: string;
  extensionId: string;
  /**
   * Turns detection on/off for a page the way a user does: toolbar button -> popup -> toggle
   * (accepting the first-run notice if it is shown). Returns the popup's status text after.
   */
  clickAction: (page: Page) => Promise<string>;
  /** Opens the toolbar popup for a page (the popup stays open: close it when done). */
  openPopup: (page: Page) => Promise<Page>;
  /** What the content scripts' overlays show, per source, in every frame of the page. */
  overlays: (page: Page) => Promise<OverlaySnapshot[] | null>;
  /**
   * The extension's service worker, to call its test hooks (globalThis.faceml). Attaching keeps
   * the worker alive from then on: tests of its restarts must not call this.
   */
  worker: () => Promise<WebWorker>;
  /**
   * One of the extension's pages (options.html) in a window of its own, opened once: where tests
   * read and write chrome.storage.local. Content scripts may not (the background limits storage
   * to trusted contexts), the offscreen document has no storage API, attaching to the worker
   * keeps it alive, and a new tab in the test's window would take the focus tab captures need.
   */
  storagePage: () => Promise<Page>;
  close: () => Promise<void>;
}

/** Debian's Chromium, headless, with the built extension loaded (see README for flags). */
export async function launchWithExtension(extraArgs: string[] = [], extensionDir = EXTENSION_DIR): Promise<ExtensionBrowser> {
  const netLog = path.join(await mkdtemp(path.join(os.tmpdir(), 'faceml-netlog-')), 'net-log.json');
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    pipe: true,
    enableExtensions: [extensionDir],
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', `--log-net-log=${netLog}`, ...extraArgs],
  });
  const requests: string[] = [];
  const watch = async (page: Page | null) => page?.on('request', (r) => requests.push(r.url()));
  browser.on('targetcreated', async (target) => {
    if (target.type() === 'page' || target.type() === 'background_page') await watch(await target.asPage().catch(() => null));
  });
  for (const p of await browser.pages()) await watch(p);
  // Do not attach to the service worker: an attached debugger keeps it alive.
  const isWorker = (t: Target) => t.type() === 'service_worker' && t.url().endsWith('/background.js');
  await browser.waitForTarget(isWorker);
  const extension = [...(await browser.extensions()).values()][0];
  const extensionId = extension.id;
  let storagePage: Promise<Page> | undefined;
  const openPopup = async (page: Page): Promise<Page> => {
    await page.bringToFront();
    // A popup closed a moment ago may still be listed: wait for a new one.
    const earlier = new Set(browser.targets().filter((t) => t.url().endsWith('/popup.html')));
    const opened = browser.waitForTarget((t) => t.url().endsWith('/popup.html') && !earlier.has(t), { timeout: 15_000 });
    await extension.triggerAction(page);
    const popup = (await (await opened).asPage())!;
    await popup.waitForSelector('#toggle');
    return popup;
  };
  return {
    browser,
    requests,
    extensionId,
    netLog,
    openPopup,
    clickAction: async (page) => {
      const popup = await openPopup(page);
      // DOM clicks: a mouse click at coordinates can miss while the popup window is still being
      // sized (the toolbar click that opened the popup already granted activeTab).
      // The popup knows whether the notice was accepted once storage answers: until then neither
      // the notice nor an enabled toggle is shown.
      await popup.waitForFunction(() => !!document.querySelector('#toggle:not([disabled])') || [...document.querySelectorAll('button')].some((b) => b.textContent?.includes('I understand')), { timeout: 15_000 }).catch(() => undefined);
      const notice = await popup.$('::-p-text(I understand)');
      if (notice) await notice.evaluate((b) => (b as HTMLButtonElement).click());
      await popup.waitForSelector('#toggle:not([disabled])', { timeout: 15_000 }).catch(async (err: Error) => {
        const said = await popup.$eval('#status', (e) => e.textContent).catch(() => '(no status)');
        throw new Error(`the popup's toggle stayed disabled; it said: ${said} (${err.message})`);
      });
      const before = await popup.$eval('#toggle', (b) => b.getAttribute('aria-pressed'));
      await popup.$eval('#toggle', (b) => (b as HTMLButtonElement).click());
      await popup.waitForFunction((was) => document.querySelector('#toggle')?.getAttribute('aria-pressed') !== was, { timeout: 30_000 }, before).catch(async (err: Error) => {
        const said = await popup.$eval('#status', (e) => e.textContent).catch(() => '(no status)');
        throw new Error(`the toggle did not switch; the popup said: ${said} (${err.message})`);
      });
      const text = await popup.$eval('#status', (s) => s.textContent ?? '');
      await popup.close();
      return text;
    },
    overlays: async (page) => {
      // Every frame's content script draws its own overlays: the top frame's sources first.
      let all: OverlaySnapshot[] | null = null;
      for (const frame of page.frames()) {
        for (const realm of frame.extensionRealms()) {
          const snap = await realm.evaluate(() => (globalThis as { __faceml?: { snapshot(): unknown } }).__faceml?.snapshot() ?? null).catch(() => null);
          if (snap) {
            all = [...(all ?? []), ...(snap as OverlaySnapshot[]).map((s) => ({ ...s, frame: frame === page.mainFrame() ? 'top' : frame.url() }))];
            break;
          }
        }
      }
      return all;
    },
    worker: async () => (await (await browser.waitForTarget(isWorker)).worker())!,
    storagePage: () =>
      (storagePage ??= (async () => {
        const url = `chrome-extension://${extensionId}/options.html`;
        const cdp = await browser.target().createCDPSession();
        await cdp.send('Target.createTarget', { url, newWindow: true });
        const page = (await (await browser.waitForTarget((t) => t.url() === url)).asPage())!;
        // The target reports its URL before the page's scripts can use the extension APIs: a
        // call at once found chrome.storage undefined (a robustness test failed on it, then the
        // next one on the state that left).
        await page.waitForFunction(() => !!(globalThis as any).chrome?.storage?.local, { timeout: 15_000 });
        return page;
      })()),
    close: () => browser.close(),
  };
}

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes (then returns the last value). */
export async function waitFor<T>(fn: () => Promise<T>, timeoutMs: number, intervalMs = 250): Promise<T> {
  const end = Date.now() + timeoutMs;
  let value = await fn();
  while (!value && Date.now() < end) {
    await new Promise((r) => setTimeout(r, intervalMs));
    value = await fn();
  }
  return value;
}

/**
 * Requests that left the machine or the extension: must be none (privacy). Two watchers: the
 * pages' own request events, and the browser's NetLog, which also sees the service worker, the
 * offscreen document and the popup. Chromium's own requests (component updates, accounts) have
 * no initiating origin in the NetLog and are not the extension's.
 */
export function outsideRequests(ext: ExtensionBrowser): string[] {
  const fromContexts = netLogRequests(ext.netLog).filter((r) => r.initiator !== null).map((r) => r.url);
  const outside = (u: string) =>
    !/^https?:\/\/127\.0\.0\.1[:/]/.test(u) && !u.startsWith(`chrome-extension://${ext.extensionId}/`) && !/^(data|blob):/.test(u) && u !== 'about:blank';
  return [...new Set([...ext.requests, ...fromContexts].filter(outside))];
}

/** Waits until a test page's <video> elements play (the pages set window.videoReady). */
export async function waitForVideo(page: Page): Promise<void> {
  await page.waitForFunction(() => (window as { videoReady?: boolean }).videoReady === true);
}

/**
 * Stores a finished session of `faces` faces over `seconds` seconds (each second a different top
 * emotion), through the side panel's own history store: what history screens are tested with.
 */
export async function seedSession(ext: ExtensionBrowser, faces: number, seconds: number): Promise<void> {
  const page = await ext.browser.newPage();
  await page.goto(`chrome-extension://${ext.extensionId}/sidepanel.html`);
  await page.waitForSelector('main');
  await page.evaluate(
    async (faces: number, seconds: number) => {
      const t0 = Math.floor(Date.now() / 1000) - 2 * seconds;
      const rows = Array.from({ length: faces * seconds }, (_, i) => [t0 + Math.floor(i / faces), 1, (i % faces) + 1, 5, ...Array.from({ length: 7 }, (_, k) => (k === i % 7 ? 700 : 50))]);
      await (globalThis as any).__facemlPanel.history.appendSamples({ sessionId: 'seeded', pageUrl: 'https://meet.example/abc', title: 'Weekly team call', rows });
    },
    faces,
    seconds,
  );
  await page.close();
}
