import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchWithExtension, seedSession, type ExtensionBrowser } from '../helpers/browser';

/**
 * Text on FaceML's own pages is readable: Chrome's default stylesheet for extension pages sets
 * the body to 75% (10.5 px from a 14 px root), which the theme must override, and small print
 * (bars, tables, legends) stays at 13 px or more. Light and dark.
 */
describe('extension in Chromium: readable pages', () => {
  let ext: ExtensionBrowser;
  beforeAll(async () => {
    ext = await launchWithExtension();
    // A stored session of three faces, so the history's summary (ribbons, words, table) is checked too.
    await seedSession(ext, 3, 30);
  });
  afterAll(() => ext?.close());

  for (const name of ['popup', 'sidepanel', 'sidepanel.html?view=history', 'options']) {
    it(`${name}: every text is at least 13 px, and the content has room around it`, async () => {
      for (const scheme of ['light', 'dark'] as const) {
        const page = await ext.browser.newPage();
        await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: scheme }]);
        await page.goto(`chrome-extension://${ext.extensionId}/${name.includes('.html') ? name : `${name}.html`}`);
        await page.waitForSelector('main');
        await new Promise((r) => setTimeout(r, 500));
        const found = await page.evaluate(() => {
          // Text in an SVG is drawn at its font size times the picture's scale (viewBox to screen).
          const svgScale = (e: Element) => {
            const svg = e.closest('svg');
            return svg && svg.viewBox.baseVal.width ? svg.getBoundingClientRect().width / svg.viewBox.baseVal.width : 1;
          };
          const texts = [...document.querySelectorAll('body *')].filter((e) => e.checkVisibility()).filter((e) => [...e.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent!.trim()));
          const small = texts.map((e) => ({ tag: e.tagName, text: e.textContent!.trim().slice(0, 30), px: parseFloat(getComputedStyle(e).fontSize) * svgScale(e) })).filter((t) => t.px < 13);
          const main = getComputedStyle(document.querySelector('main')!);
          return { texts: texts.length, small, padding: parseFloat(main.paddingLeft) };
        });
        expect(found.texts, `${name} (${scheme}) shows text`).toBeGreaterThan(2);
        expect(found.small, `${name} (${scheme}): text under 13 px`).toEqual([]);
        expect(found.padding).toBeGreaterThanOrEqual(8);
        await page.close();
      }
    });
  }
});
