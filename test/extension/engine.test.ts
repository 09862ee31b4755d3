import { describe, expect, it } from 'vitest';
import { createEngine } from '../../src/extension/engine/engine';
import { dispatch } from '../../src/extension/messaging';
import { toWire, type EngineStatus } from '../../src/extension/protocol';
import { fakeExtension } from '../helpers/fake-extension';

/**
 * The engine's handler table. Its pipeline loads only in a browser (the extension's own files
 * at chrome-extension:// URLs), so here it fails to load, as in a broken install: the table must
 * still refuse what it must refuse, and answer everything else with the load failure.
 */
describe('engine handler table with WXT fake browser', () => {
  function engine() {
    const ext = fakeExtension();
    const reported: EngineStatus[] = [];
    const created = createEngine(ext.browser, {
      createHaarDetector: async () => ({ name: 'haar', detect: () => [] }),
      engineConfig: async () => ({ model: { active: 'builtin', custom: null }, detector: 'haar' }),
      onStatus: (s) => reported.push(s),
    });
    return { ext, engine: created, reported };
  }
  const frame = 'data:image/jpeg;base64,AAAA';

  it('takes frames only from tabs and background requests only from the background', async () => {
    const { ext, engine: e } = engine();
    const tab = ext.senders.content(3);
    expect(await dispatch(e.handlers, toWire('analyzeImage', { frame }), tab)).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await dispatch(e.handlers, toWire('analyzeScreenshot', { tabId: 3, videoId: 'v1', frame, crop: { x: 0, y: 0, width: 9, height: 9 } }), tab)).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
    expect(await dispatch(e.handlers, toWire('engineStatus', {}), tab)).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    // A FaceML page not in a tab (the popup) cannot send frames: frames belong to a tab's video.
    expect(await dispatch(e.handlers, toWire('analyzeFrame', { videoId: 'v1', frame, scale: 1 }), ext.senders.page())).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT' },
    });
    expect(await dispatch(e.handlers, toWire('analyzeFrame', { videoId: 'v1', frame: 'https://evil.example/x.jpg', scale: 1 }), tab)).toMatchObject({
      ok: false,
      error: { code: 'INVALID_MESSAGE' },
    });
    await e.dispose();
  });

  it('reports its loading and its failure, and answers frames with the failure instead of hanging', async () => {
    const { ext, engine: e, reported } = engine();
    const status = await dispatch(e.handlers, toWire('engineStatus', {}), ext.senders.page());
    expect(status).toMatchObject({ ok: true, state: 'loading' });
    const answer = await dispatch(e.handlers, toWire('analyzeFrame', { videoId: 'v1', frame, scale: 1 }), ext.senders.content(3));
    expect(answer).toMatchObject({ ok: false });
    expect(reported.at(-1)).toMatchObject({ state: 'error' });
    expect(await dispatch(e.handlers, toWire('engineStatus', {}), ext.senders.page())).toMatchObject({ ok: true, state: 'error' });
    await e.dispose();
  });
});
