import { fakeBrowser } from 'wxt/testing/fake-browser';
import type { WxtBrowser as Browser } from 'wxt/browser';
import { dispatch, type Handlers, type Sender } from '../../src/extension/messaging';
import type { EngineLink } from '../../src/extension/background/engine-link';
import type { EngineStatus, LiveSnapshot, MessageName, RequestOf } from '../../src/extension/protocol';

/**
 * WXT's fake browser (in-memory storage, tabs, action, runtime events) with the few APIs it does
 * not implement filled in by recorders: injecting a content script starts a "page" whose handler
 * table answers tabs.sendMessage as a real content script would (through dispatch, so the
 * protocol's sender checks and guards run). The parts under test are FaceML's own modules.
 */
export function fakeExtension() {
  fakeBrowser.reset();
  const browser = fakeBrowser as unknown as Browser;
  const pages = new Map<number, Partial<Handlers<MessageName>>>();
  const injected: number[] = [];
  const menus: unknown[] = [];
  const f = fakeBrowser as unknown as Record<string, unknown>;
  let makePage: (tabId: number) => Partial<Handlers<MessageName>> = () => ({});
  f.scripting = {
    executeScript: async ({ target, files, func }: { target: { tabId: number }; files?: string[]; func?: () => unknown }) => {
      if (files) {
        injected.push(target.tabId);
        if (!pages.has(target.tabId)) pages.set(target.tabId, makePage(target.tabId));
      }
      // The background's probe of each frame (one frame per fake tab): is our script running there?
      if (func) return [{ frameId: 0, result: { running: pages.has(target.tabId), origin: 'https://meet.example' } }];
      return [];
    },
  };
  f.contextMenus = { create: (item: unknown) => menus.push(item), onClicked: { addListener: () => {} } };
  f.commands = { onCommand: { addListener: () => {} } };
  // Chrome's storage access level (the fake has none): recorded, so tests see what was asked.
  const access = { level: 'TRUSTED_AND_UNTRUSTED_CONTEXTS' };
  // chrome.storage.local.getKeys (Chrome 130+), which the fake lacks: its keys, as Chrome lists them.
  (fakeBrowser.storage.local as unknown as Record<string, unknown>).getKeys = async () => Object.keys(await fakeBrowser.storage.local.get(null));
  (fakeBrowser.storage.local as unknown as Record<string, unknown>).setAccessLevel = async ({ accessLevel }: { accessLevel: string }) => {
    access.level = accessLevel;
  };
  (fakeBrowser.tabs as unknown as Record<string, unknown>).sendMessage = async (tabId: number, message: unknown) => {
    const page = pages.get(tabId);
    if (!page) throw new Error('Could not establish connection. Receiving end does not exist.');
    return dispatch(page, message, { kind: 'background', url: browser.runtime.getURL('/background.js' as never) });
  };
  return {
    browser,
    fake: fakeBrowser,
    injected,
    menus,
    access,
    /** How a newly injected page answers (default: it answers nothing of ours). */
    onInject(factory: (tabId: number) => Partial<Handlers<MessageName>>) {
      makePage = factory;
    },
    /** A page navigated away: its content script is gone. */
    unload(tabId: number) {
      pages.delete(tabId);
    },
    /** The senders the protocol knows, as Chrome reports them. */
    senders: {
      content: (tabId: number, url = 'https://meet.example/call'): Sender => ({ kind: 'content', tab: { id: tabId, url, title: 'Call', windowId: 1 }, url }),
      page: (path = '/popup.html'): Sender => ({ kind: 'page', url: browser.runtime.getURL(path as never) }),
      engine: (): Sender => ({ kind: 'engine', url: browser.runtime.getURL('/offscreen.html' as never) }),
    },
  };
}

/** An engine link that records what the background asks of it (the engine itself runs only in a browser). */
export function recordingEngine(): EngineLink & { calls: string[] } {
  let running = false;
  let status: EngineStatus | null = null;
  const calls: string[] = [];
  return {
    calls,
    async ensure() {
      calls.push('ensure');
      running = true;
    },
    running: async () => running,
    async close() {
      calls.push('close');
      running = false;
      status = null;
    },
    async request(name) {
      calls.push(name);
      return { ok: true, faces: [], width: 1, height: 1, ms: 0 } as never;
    },
    ownPagesUsingEngine: async () => 0,
    status: () => status,
    setStatus: (next) => (status = next),
  };
}

/** A content script that samples while enabled, as entrypoints/content.ts does. */
export function fakeContentPage() {
  let running = false;
  const live = (): LiveSnapshot => ({ running, videos: [], faces: [], fps: 0, sessionId: null, historyError: null });
  return {
    setEnabled: ({ enabled }: RequestOf<'setEnabled'>) => ((running = enabled), { ok: true as const }),
    live: () => ({ ok: true as const, ...live() }),
    prepareCapture: () => ({ ok: true as const }),
  };
}
