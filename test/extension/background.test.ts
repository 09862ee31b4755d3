import { beforeEach, describe, expect, it } from 'vitest';
import { createBackground } from '../../src/extension/background';
import { dispatch } from '../../src/extension/messaging';
import { toWire, wireType, type MessageName, type RequestOf } from '../../src/extension/protocol';
import { saveSettings } from '../../src/storage/settings';
import { fakeContentPage, fakeExtension, recordingEngine } from '../helpers/fake-extension';

const SECOND = Math.floor(Date.now() / 1000);
const ROW = [SECOND, 1, 1, 3, 0, 0, 0, 900, 100, 0, 0];

describe('background (service worker) with WXT fake browser', () => {
  let ext: ReturnType<typeof fakeExtension>;
  let engine: ReturnType<typeof recordingEngine>;
  let bg: ReturnType<typeof createBackground>;
  let tabId: number;
  const ask = <N extends MessageName>(name: N, request: RequestOf<N>, sender = ext.senders.page()) => dispatch(bg.handlers, toWire(name, request), sender);

  beforeEach(async () => {
    ext = fakeExtension();
    ext.onInject(() => fakeContentPage());
    engine = recordingEngine();
    bg = createBackground(ext.browser, engine);
    tabId = (await ext.fake.tabs.create({ url: 'https://meet.example/call' })).id!;
  });

  it('turns a tab on (engine, content script, badge, remembered) and off again', async () => {
    expect(await ask('toggle', { tabId })).toEqual({ ok: true, enabled: true });
    expect(ext.injected).toEqual([tabId]);
    expect(engine.calls).toContain('ensure');
    expect(await bg.enabledTabs()).toEqual([tabId]);
    expect(await ext.fake.action.getBadgeText({ tabId })).toBe('ON');
    expect(await ask('tabState', { tabId })).toMatchObject({ ok: true, enabled: true, allowed: true, live: { running: true } });

    expect(await ask('toggle', { tabId })).toEqual({ ok: true, enabled: false });
    expect(await bg.enabledTabs()).toEqual([]);
    expect(await ext.fake.action.getBadgeText({ tabId })).toBe('');
    expect(engine.calls.at(-1)).toBe('close'); // no tab needs the engine any more
  });

  it('refuses a site outside the allowed sites, with the reason, and injects nothing', async () => {
    await saveSettings(ext.browser.storage.local, { allowedSites: ['zoom.example'] });
    const answer = await ask('toggle', { tabId });
    expect(answer).toMatchObject({ ok: false, error: { message: expect.stringContaining('zoom.example') } });
    expect(ext.injected).toEqual([]);
    expect(await ask('tabState', { tabId })).toMatchObject({ ok: true, enabled: false, allowed: false });
  });

  it('turns a tab off when its site stops being allowed: badge, page and list agree', async () => {
    await ask('toggle', { tabId });
    expect(await ext.fake.action.getBadgeText({ tabId })).toBe('ON');
    await saveSettings(ext.browser.storage.local, { allowedSites: ['zoom.example'] });
    await new Promise((r) => setTimeout(r, 20));
    expect(await bg.enabledTabs()).toEqual([]);
    expect(await ext.fake.action.getBadgeText({ tabId })).toBe('');
    expect(await ask('tabState', { tabId })).toMatchObject({ ok: true, enabled: false, allowed: false });
  });

  it('reconciles after a page load: a tab whose new document does not sample is off', async () => {
    await ask('toggle', { tabId });
    ext.unload(tabId); // a new document: the content script is gone
    await ext.fake.tabs.onUpdated.trigger(tabId, { status: 'complete' }, (await ext.fake.tabs.get(tabId)) as never);
    await new Promise((r) => setTimeout(r, 0));
    expect(await bg.enabledTabs()).toEqual([]);
    expect(await ext.fake.action.getBadgeText({ tabId })).toBe('');
  });

  it('saves history rows from a tab that is on, and refuses a new session from a tab that is off', async () => {
    await ask('toggle', { tabId });
    const saved = await ask('historySamples', { sessionId: 's-1', rows: [ROW as never] }, ext.senders.content(tabId));
    expect(saved).toEqual({ ok: true, saved: 1 });
    expect((await bg.history.sessions()).map((s) => s.id)).toEqual(['s-1']);
    const other = (await ext.fake.tabs.create({ url: 'https://evil.example/' })).id!;
    const refused = await ask('historySamples', { sessionId: 's-2', rows: [ROW as never] }, ext.senders.content(other));
    expect(refused).toMatchObject({ ok: false, error: { code: 'NOT_ENABLED' } });
    expect((await bg.history.sessions()).map((s) => s.id)).toEqual(['s-1']);
  });

  it('binds a session to the tab that started it and takes only seconds of about now (forged rows change nothing)', async () => {
    await ask('toggle', { tabId });
    const second = (await ext.fake.tabs.create({ url: 'https://meet.example/other' })).id!;
    await ask('toggle', { tabId: second });
    expect(await ask('historySamples', { sessionId: 's-1', rows: [ROW as never] }, ext.senders.content(tabId))).toEqual({ ok: true, saved: 1 });
    // Another tab, even one that is on, cannot write into it; nor into the webcam's session.
    const intoOther = await ask('historySamples', { sessionId: 's-1', rows: [[SECOND + 1, ...ROW.slice(1)] as never] }, ext.senders.content(second));
    expect(intoOther).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await ask('historySamples', { sessionId: 'webcam-1', rows: [ROW as never] }, ext.senders.page('/webcam.html'))).toEqual({ ok: true, saved: 1 });
    expect(await ask('historySamples', { sessionId: 'webcam-1', rows: [[SECOND + 2, ...ROW.slice(1)] as never] }, ext.senders.content(second))).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
    // Seconds far from now: the year 5138, or a day ago.
    const future = [Math.floor(Date.UTC(5138, 0, 1) / 1000), ...ROW.slice(1)];
    expect(await ask('historySamples', { sessionId: 's-9', rows: [future as never] }, ext.senders.content(second))).toMatchObject({ ok: false, error: { code: 'INVALID_ROWS' } });
    expect(await ask('historySamples', { sessionId: 's-1', rows: [[SECOND - 86_400, ...ROW.slice(1)] as never] }, ext.senders.content(tabId))).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ROWS' },
    });
    expect((await bg.history.sessions()).map((s) => [s.id, s.rows])).toEqual([['s-1', 1], ['webcam-1', 1]]);
    // The tab that owns the session may still send its last seconds after it is turned off.
    await ask('toggle', { tabId });
    expect(await ask('historySamples', { sessionId: 's-1', rows: [[SECOND + 1, ...ROW.slice(1)] as never] }, ext.senders.content(tabId))).toEqual({ ok: true, saved: 1 });
  });

  it('hands content scripts their settings (they may not read storage) and pushes changes to the tabs', async () => {
    // Storage is closed to content scripts at start (Chromium enforces it: robustness test).
    expect(await bg.storageLocked).toBe(true);
    expect(ext.access.level).toBe('TRUSTED_CONTEXTS');
    await saveSettings(ext.browser.storage.local, { fps: 4 });
    expect(await ask('contentSettings', {}, ext.senders.content(tabId))).toMatchObject({ ok: true, settings: { fps: 4 } });
    expect(await ask('contentSettings', {}, ext.senders.page())).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const pushed: unknown[] = [];
    ext.onInject(() => ({ ...fakeContentPage(), applySettings: ({ settings }) => (pushed.push(settings), { ok: true }) }));
    await ask('toggle', { tabId });
    await saveSettings(ext.browser.storage.local, { fps: 2 });
    await new Promise((r) => setTimeout(r, 20));
    expect(pushed).toMatchObject([{ fps: 2 }]);
  });

  it('stores nothing when history is turned off in settings, and takes the rows so they are not resent', async () => {
    await ask('toggle', { tabId });
    await saveSettings(ext.browser.storage.local, { saveHistory: false });
    expect(await ask('historySamples', { sessionId: 's-off', rows: [ROW as never] }, ext.senders.content(tabId))).toEqual({ ok: true, saved: 0 });
    expect(await bg.history.sessions()).toEqual([]);
    await saveSettings(ext.browser.storage.local, { saveHistory: true });
    expect(await ask('historySamples', { sessionId: 's-off', rows: [ROW as never] }, ext.senders.content(tabId))).toEqual({ ok: true, saved: 1 });
  });

  it('refuses what a content script may not ask: toggling, tab state, engine status reports', async () => {
    const asContent = ext.senders.content(tabId);
    expect(await ask('toggle', { tabId }, asContent)).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await bg.enabledTabs()).toEqual([]);
    expect(await ask('tabState', { tabId }, asContent)).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await ask('engineStatusChanged', { state: 'ready', progress: 1, detail: 'forged' }, asContent)).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(bg.engineStatus()).toBeNull();
    // Nor from another FaceML page (the popup): only the engine reports the engine's status.
    expect(await ask('engineStatusChanged', { state: 'error', progress: 0, detail: 'forged' }, ext.senders.page())).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(bg.engineStatus()).toBeNull();
    // From the engine it is taken.
    expect(await ask('engineStatusChanged', { state: 'ready', progress: 1, detail: 'ready' }, ext.senders.engine())).toEqual({ ok: true });
    expect(bg.engineStatus()).toMatchObject({ detail: 'ready' });
    // A content script may ask for the engine back only for a tab that is on.
    expect(await ask('ensureEngine', {}, asContent)).toMatchObject({ ok: false, error: { code: 'NOT_ENABLED' } });
    expect(await ask('analyzeCapture', { videoId: 'v1', rect: { x: 0, y: 0, width: 50, height: 50 }, devicePixelRatio: 1 }, asContent)).toMatchObject({
      ok: false,
      error: { code: 'NOT_ENABLED' },
    });
  });

  it('answers malformed requests with INVALID_MESSAGE, other contexts\' messages not at all', async () => {
    expect(await dispatch(bg.handlers, { type: wireType('toggle'), tabId: 'all' }, ext.senders.page())).toMatchObject({ ok: false, error: { code: 'INVALID_MESSAGE' } });
    expect(await dispatch(bg.handlers, { type: wireType('historySamples'), sessionId: '../x', rows: [] }, ext.senders.content(tabId))).toMatchObject({
      ok: false,
      error: { code: 'INVALID_MESSAGE' },
    });
    expect(dispatch(bg.handlers, toWire('analyzeFrame', { videoId: 'v1', frame: 'data:image/jpeg;base64,', scale: 1 }), ext.senders.content(tabId))).toBeUndefined();
    expect(dispatch(bg.handlers, { type: 'faceml/nothing' }, ext.senders.page())).toBeUndefined();
  });

  it('listens only to its own extension: another extension\'s message gets no answer', async () => {
    const answers: unknown[] = [];
    const respond = (a: unknown) => answers.push(a);
    const popup = { id: ext.browser.runtime.id, url: ext.browser.runtime.getURL('/popup.html' as never) };
    const results = await ext.fake.runtime.onMessage.trigger(toWire('toggle', { tabId }), { id: 'another-extension', url: popup.url } as never, respond as never);
    expect(results.every((r) => r === undefined)).toBe(true);
    await ext.fake.runtime.onMessage.trigger(toWire('toggle', { tabId }), popup as never, respond as never);
    await new Promise((r) => setTimeout(r, 20));
    expect(answers).toEqual([{ ok: true, enabled: true }]);
  });
});
