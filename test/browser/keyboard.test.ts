import type { Page } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchWithExtension, seedSession, waitFor, type ExtensionBrowser } from '../helpers/browser';

interface Focused {
  /** Position of the element among all elements of the document (document order). */
  index: number;
  tag: string;
  name: string;
  /** Whether the focus shows: :focus-visible matches and draws an outline of 2 px or more. */
  ring: boolean;
}

/** The focused element, described in the page. */
const focused = (page: Page) =>
  page.evaluate((): Focused | null => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return null;
    // The accessible name as assistive technology computes it, for the cases FaceML's pages use.
    const labelled = el.getAttribute('aria-labelledby');
    const name =
      el.getAttribute('aria-label') ??
      (labelled ? document.getElementById(labelled)?.textContent : null) ??
      ((el as HTMLInputElement).labels?.[0]?.textContent || el.textContent || el.getAttribute('title') || '');
    const style = getComputedStyle(el);
    return {
      index: [...document.querySelectorAll('*')].indexOf(el),
      tag: el.tagName.toLowerCase(),
      name: name.replace(/\s+/g, ' ').trim(),
      ring: el.matches(':focus-visible') && style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
    };
  });

/** Everything a keyboard user should reach with Tab, in document order. */
const reachable = (page: Page) =>
  page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('a[href], button, input, select, textarea, summary, [tabindex]')]
      .filter((el) => el.tabIndex >= 0 && !(el as HTMLButtonElement).disabled && el.checkVisibility())
      // One stop per radio group: the checked radio (or the first).
      .filter((el) => !(el instanceof HTMLInputElement && el.type === 'radio') || el.checked || !document.querySelector(`input[type=radio][name="${el.name}"]:checked`))
      .map((el) => [...document.querySelectorAll('*')].indexOf(el)),
  );

/** Presses Tab from the page's start until focus leaves the page or comes back round. */
async function tabThrough(page: Page): Promise<Focused[]> {
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  const seen: Focused[] = [];
  for (let i = 0; i < 80; i++) {
    await page.keyboard.press('Tab');
    const now = await focused(page);
    if (!now || seen.some((s) => s.index === now.index)) break;
    seen.push(now);
  }
  return seen;
}

/** Tab until the focused element's name matches (Shift+Tab with back). */
async function tabTo(page: Page, name: RegExp, back = false): Promise<Focused> {
  for (let i = 0; i < 80; i++) {
    const now = await focused(page);
    if (now && name.test(now.name)) return now;
    if (back) await page.keyboard.down('Shift');
    await page.keyboard.press('Tab');
    if (back) await page.keyboard.up('Shift');
  }
  throw new Error(`no control named ${name} reached by keyboard`);
}

/**
 * Keyboard-only use of the popup, the side panel and the settings page: Tab visits every control
 * once, in reading order, each with a name and a visible focus ring; the controls work from the
 * keyboard, and focus follows the step when a control is replaced (delete, confirm, undo).
 */
describe('extension in Chromium: keyboard only', () => {
  let ext: ExtensionBrowser;
  const open = async (file: string) => {
    const page = await ext.browser.newPage();
    await page.setViewport({ width: 420, height: 900 });
    await page.goto(`chrome-extension://${ext.extensionId}/${file}`);
    await page.waitForSelector('main');
    await new Promise((r) => setTimeout(r, 500));
    return page;
  };
  const checkOrder = async (page: Page, what: string) => {
    const visits = await tabThrough(page);
    expect(visits.map((v) => v.index), `${what}: Tab visits every control once, in document order`).toEqual(await reachable(page));
    expect(visits.filter((v) => !v.name), `${what}: controls without a name`).toEqual([]);
    expect(visits.filter((v) => !v.ring), `${what}: controls without a visible focus ring`).toEqual([]);
    return visits;
  };

  beforeAll(async () => {
    ext = await launchWithExtension();
    await seedSession(ext, 2, 30);
  });
  afterAll(() => ext?.close());

  it('popup: every control in order, named, with a focus ring; the notice is accepted with Enter', async () => {
    const popup = await open('popup.html');
    const visits = await checkOrder(popup, 'popup');
    expect(visits.map((v) => v.name)).toEqual(expect.arrayContaining(['Settings', 'Open side panel (history, charts)', 'My webcam']));
    await tabTo(popup, /I understand/);
    await popup.keyboard.press('Enter');
    await popup.waitForFunction(() => !/Before you start/.test(document.body.textContent ?? ''));
    await popup.close();
  });

  it('side panel: tabs move with the arrow keys; a session is deleted and restored from the keyboard, focus following each step', async () => {
    const panel = await open('sidepanel.html?view=history');
    await panel.waitForSelector('.ribbon');
    const visits = await checkOrder(panel, 'side panel history');
    // One stop for the tab list (the chosen tab), as ARIA tabs do.
    expect(visits.filter((v) => /^(Live|History)$/.test(v.name)).map((v) => v.name)).toEqual(['History']);
    await panel.focus('#tab-history');
    await panel.keyboard.press('ArrowLeft');
    expect((await focused(panel))?.name).toBe('Live');
    expect(await panel.$eval('#tab-live', (t) => t.getAttribute('aria-selected'))).toBe('true');
    await panel.keyboard.press('ArrowRight');
    expect((await focused(panel))?.name).toBe('History');
    await panel.waitForSelector('.ribbon');

    const sessions = async () => ((await panel.evaluate(async () => (globalThis as any).__facemlPanel.history.sessions())) as unknown[]).length;
    await tabTo(panel, /^Delete session/);
    await panel.keyboard.press('Enter');
    // The confirmation takes focus on its safe choice; the deleting one is a Shift+Tab away.
    await panel.waitForFunction(() => document.activeElement?.textContent === 'Cancel', { timeout: 2000 });
    await panel.keyboard.press('Enter');
    await panel.waitForFunction(() => /^Delete session/.test(document.activeElement?.getAttribute('aria-label') ?? ''), { timeout: 2000 });
    await panel.keyboard.press('Enter');
    await tabTo(panel, /^Yes, delete it$/, true);
    await panel.keyboard.press('Enter');
    expect(await waitFor(async () => ((await sessions()) === 0 ? 'gone' : null), 5000)).toBe('gone');
    await panel.waitForFunction(() => document.activeElement?.textContent === 'Undo', { timeout: 2000 });
    await panel.keyboard.press('Enter');
    expect(await waitFor(async () => ((await sessions()) === 1 ? 'back' : null), 5000)).toBe('back');
    await panel.waitForFunction(() => document.activeElement?.tagName === 'SELECT', { timeout: 2000 });
    await panel.waitForSelector('.ribbon');
    await panel.close();
  });

  it('settings: every field has a label and a focus ring; a change is saved with Enter', async () => {
    const page = await open('options.html');
    await checkOrder(page, 'settings');
    await tabTo(page, /Minimum face size/);
    await page.keyboard.down('Control');
    await page.keyboard.press('a');
    await page.keyboard.up('Control');
    await page.keyboard.type('64');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => /Saved\./.test(document.body.textContent ?? ''));
    const stored = await page.evaluate(async () => ((await (globalThis as any).chrome.storage.local.get('faceml:settings'))['faceml:settings'] as { minFaceSize: number }).minFaceSize);
    expect(stored).toBe(64);
    await page.close();
  });
});
