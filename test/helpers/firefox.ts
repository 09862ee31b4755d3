import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Browser, createProfile } from '@puppeteer/browsers';
import { PROJECT_ROOT } from '../../src/node/paths';
import { Marionette } from './marionette';

export const FIREFOX_EXTENSION_DIR = path.join(PROJECT_ROOT, '.output/firefox-mv2');
export const FIREFOX_PATH = process.env.FIREFOX_PATH ?? ['/usr/bin/firefox-esr', '/usr/bin/firefox'].find((p) => existsSync(p)) ?? null;
const ADDON_ID = 'faceml@faceml.local';

export interface OverlayFace {
  emotion: string;
  text: string;
}

export interface FirefoxWithExtension {
  marionette: Marionette;
  /** moz-extension://<uuid>/ of the installed add-on. */
  extensionBase: string;
  /** Opens a new tab at `url`, selects it and returns its window handle. */
  openTab(url: string): Promise<string>;
  selectTab(handle: string): Promise<void>;
  /** Runs a script in the selected tab's page; "system" sees closed shadow roots. */
  inPage<T>(script: string, args?: unknown[], sandbox?: string): Promise<T>;
  /**
   * Fires the keyboard shortcut Firefox registered for the add-on's command, returning its keys
   * (e.g. "alt,shift+E"). Marionette's synthesized key presses do not reach browser shortcuts in
   * headless Firefox, so this fires the shortcut's <key> element, which is what a key press does.
   */
  runShortcut(): Promise<string>;
  /** Right-clicks an element of the selected tab and picks the context-menu item with this label. */
  contextMenu(selector: string, label: string): Promise<string[]>;
  /** The labels drawn in each `<faceml-overlay>` of the selected tab (read through its closed shadow root). */
  overlays(): Promise<OverlayFace[][]>;
  /** Every http(s) request since launch, with who triggered it (an origin, or "system" for Firefox itself). */
  requests(): Promise<{ url: string; by: string }[]>;
  /** Firefox's console (all contexts, the add-on's background page included): for failure reports. */
  consoleMessages(): Promise<string[]>;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/**
 * Firefox (Debian's firefox-esr), headless, with the Firefox build of the extension installed
 * as a temporary add-on, driven over Marionette. The profile comes from @puppeteer/browsers'
 * automation preferences (no updates, telemetry or other background traffic).
 */
export async function launchFirefoxWithExtension(): Promise<FirefoxWithExtension> {
  if (!FIREFOX_PATH) throw new Error('Firefox not found (apt-get install -y firefox-esr, or set FIREFOX_PATH)');
  const profile = await mkdtemp(path.join(os.tmpdir(), 'faceml-firefox-'));
  const port = await freePort();
  await createProfile(Browser.FIREFOX, { path: profile, preferences: { 'marionette.port': port, 'services.settings.server': 'data:,#remote-settings-dummy/v1' } });
  const child: ChildProcess = spawn(FIREFOX_PATH, ['--headless', '--marionette', '--remote-allow-system-access', '--no-remote', '--profile', profile], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, MOZ_CRASHREPORTER_DISABLE: '1' },
  });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let marionette: Marionette;
  try {
    marionette = await Marionette.connect(port);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\nFirefox said: ${stderr}`);
  }
  await marionette.send('WebDriver:NewSession', { capabilities: { alwaysMatch: { acceptInsecureCerts: false } } });
  await marionette.send('Addon:Install', { path: FIREFOX_EXTENSION_DIR, temporary: true });

  await marionette.setContext('chrome');
  // Log every http(s) request with the principal that triggered it (Firefox's own are "system").
  await marionette.execute(`
    window.__facemlRequests = [];
    Services.obs.addObserver({ observe(subject) {
      const channel = subject.QueryInterface(Ci.nsIHttpChannel);
      const principal = channel.loadInfo?.triggeringPrincipal;
      window.__facemlRequests.push({ url: channel.URI.spec, by: principal?.isSystemPrincipal ? 'system' : (principal?.origin ?? '') });
    } }, 'http-on-modify-request');
  `);
  const extensionBase = await marionette.execute<string>('return WebExtensionPolicy.getByID(arguments[0]).getURL("")', [ADDON_ID]);
  await marionette.setContext('content');

  const inChrome = async <T>(fn: () => Promise<T>): Promise<T> => {
    await marionette.setContext('chrome');
    try {
      return await fn();
    } finally {
      await marionette.setContext('content');
    }
  };

  return {
    marionette,
    extensionBase,
    async openTab(url) {
      const { handle } = await marionette.send<{ handle: string }>('WebDriver:NewWindow', { type: 'tab', focus: true });
      await marionette.send('WebDriver:SwitchToWindow', { handle, focus: true });
      await marionette.send('WebDriver:Navigate', { url });
      return handle;
    },
    async selectTab(handle) {
      await marionette.send('WebDriver:SwitchToWindow', { handle, focus: true });
    },
    inPage: (script, args = [], sandbox) => marionette.execute(script, args, sandbox),
    runShortcut: () =>
      inChrome(() =>
        marionette.execute<string>(
          `const key = document.querySelector('#ext-keyset-id-' + arguments[0].replace(/[^a-z0-9_-]/gi, '_') + ' key');
           if (!key) return null;
           key.doCommand();
           return key.getAttribute('modifiers') + '+' + key.getAttribute('key');`,
          [ADDON_ID],
        ),
      ),
    async contextMenu(selector, label) {
      const found = await marionette.send<{ value: unknown }>('WebDriver:FindElement', { using: 'css selector', value: selector });
      await marionette.send('WebDriver:PerformActions', {
        actions: [{ type: 'pointer', id: 'mouse', parameters: { pointerType: 'mouse' }, actions: [{ type: 'pointerMove', origin: found.value, x: 0, y: 0 }, { type: 'pointerDown', button: 2 }, { type: 'pointerUp', button: 2 }] }],
      });
      await marionette.send('WebDriver:ReleaseActions');
      return inChrome(() =>
        marionette.execute<string[]>(
          `const menu = document.getElementById('contentAreaContextMenu');
           const labels = [...menu.querySelectorAll('menuitem')].filter((i) => !i.hidden).map((i) => i.getAttribute('label'));
           const item = [...menu.querySelectorAll('menuitem')].find((i) => i.getAttribute('label') === arguments[0]);
           if (item) menu.activateItem(item); else menu.hidePopup();
           return labels;`,
          [label],
        ),
      );
    },
    overlays: () =>
      marionette.execute<OverlayFace[][]>(
        `return [...document.querySelectorAll('faceml-overlay')].map((host) =>
           [...(host.openOrClosedShadowRoot?.querySelectorAll('[data-emotion]') ?? [])].map((el) => ({ emotion: el.dataset.emotion, text: el.querySelector('[data-text]')?.dataset.text ?? '' })));`,
        [],
        'system',
      ),
    consoleMessages: () =>
      inChrome(() =>
        marionette.execute<string[]>(`return Services.console.getMessageArray().map((m) => {
          const e = m instanceof Ci.nsIScriptError ? m : null;
          return e ? \`\${e.sourceName}:\${e.lineNumber} \${e.errorMessage}\` : m.message;
        })`),
      ),
    requests: () => inChrome(() => marionette.execute<{ url: string; by: string }[]>('return window.__facemlRequests.slice()')),
    async close() {
      await marionette.send('Marionette:Quit', { flags: ['eForceQuit'] }).catch(() => undefined);
      marionette.close();
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
      await rm(profile, { recursive: true, force: true });
    },
  };
}
