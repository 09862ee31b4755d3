/**
 * npm run demo: builds the extension, serves demo/ (with its sample photos) on 127.0.0.1 and opens Debian's Chromium
 * with FaceML loaded on the demo page. Needs a display (a desktop session); close the browser
 * window to stop.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import puppeteer from 'puppeteer';
import { PROJECT_ROOT } from '../src/node/paths';
import { serveDemo } from './demo-site';

if (!process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
  console.error('demo: no display found (DISPLAY is not set). Run it in a desktop session, or load .output/chrome-mv3 as an unpacked extension yourself.');
  process.exit(2);
}
execFileSync(path.join(PROJECT_ROOT, 'node_modules/.bin/wxt'), ['build'], { cwd: PROJECT_ROOT, stdio: 'inherit' });
const site = await serveDemo();
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: false,
  pipe: true,
  defaultViewport: null,
  enableExtensions: [path.join(PROJECT_ROOT, '.output/chrome-mv3')],
  args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const [page] = await browser.pages();
await page.goto(`${site.origin}/index.html`);
console.log(`demo: Chromium is open on ${site.origin}/index.html with FaceML loaded. Close the window to stop.`);
browser.on('disconnected', () => site.close().then(() => process.exit(0)));
