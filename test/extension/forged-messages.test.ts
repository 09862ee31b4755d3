import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { createBackground } from '../../src/extension/background';
import { createEngine } from '../../src/extension/engine/engine';
import { dispatch } from '../../src/extension/messaging';
import { GUARDS, toWire, type MessageName } from '../../src/extension/protocol';
import type { SampleRow } from '../../src/storage/schema';
import { fakeContentPage, fakeExtension, recordingEngine } from '../helpers/fake-extension';
import { forgedMessages } from '../helpers/forged';

const NOW_S = () => Math.floor(Date.now() / 1000);

describe('forged but well-formed messages from content scripts (property-based)', () => {
  let ext: ReturnType<typeof fakeExtension>;
  let engine: ReturnType<typeof recordingEngine>;
  let bg: ReturnType<typeof createBackground>;
  let engineTable: ReturnType<typeof createEngine>;
  let on: number;
  let off: number;

  beforeEach(async () => {
    ext = fakeExtension();
    ext.onInject(() => fakeContentPage());
    engine = recordingEngine();
    bg = createBackground(ext.browser, engine);
    // The engine's own table too: a content script's message reaches every extension context.
    engineTable = createEngine(ext.browser, {
      createHaarDetector: async () => ({ name: 'haar', detect: () => [] }),
      engineConfig: async () => ({ model: { active: 'builtin', custom: null }, detector: 'haar' }),
      onStatus: () => undefined, // it fails to load here (no extension files): not what is tested
    });
    on = (await ext.fake.tabs.create({ url: 'https://meet.example/call' })).id!;
    off = (await ext.fake.tabs.create({ url: 'https://evil.example/' })).id!;
    await dispatch(bg.handlers, toWire('toggle', { tabId: on }), ext.senders.page());
    const now = NOW_S();
    const scores = [100, 100, 100, 400, 100, 100, 100];
    await dispatch(bg.handlers, toWire('historySamples', { sessionId: 'call-1', rows: [[now, 1, 1, 5, ...scores] as SampleRow] }), ext.senders.content(on));
    await dispatch(bg.handlers, toWire('historySamples', { sessionId: 'webcam-1', rows: [[now, 1, 1, 5, ...scores] as SampleRow] }), ext.senders.page('/webcam.html'));
  });

  /** Everything a forged message could change. */
  const state = async () =>
    JSON.stringify({
      sessions: await Promise.all((await bg.history.sessions()).map(async (s) => [s.id, s.pageUrl, await bg.history.sessionRows(s.id)])),
      images: await bg.history.images(),
      enabled: await bg.enabledTabs(),
      engine: engine.calls,
      status: bg.engineStatus(),
    });

  it('refuses every one and changes nothing: rows from a tab that is off, into another tab\'s session, dated far from now; requests only other contexts may make', async () => {
    const forged = forgedMessages({ on, off, ownSession: 'call-1', webcamSession: 'webcam-1' });
    const before = await state();
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(forged, async ({ from, name, request }) => {
        // Well-formed: each passes its guard, so the sender and authorisation checks are what refuse it.
        expect(GUARDS[name as MessageName](request as Record<string, unknown>)).toBe(true);
        const message = toWire(name as MessageName, request as never);
        const sender = ext.senders.content(from === 'on' ? on : off);
        // Each context answers only its own messages (undefined: not this table's).
        const answers = (await Promise.all([dispatch(bg.handlers, message, sender), dispatch(engineTable.handlers, message, sender)])).filter((a) => a !== undefined);
        expect(answers.length, `${name}: some context answers it`).toBeGreaterThan(0);
        for (const answer of answers) expect(answer!.ok, `${name} from the tab that is ${from}: ${JSON.stringify(answer)}`).toBe(false);
        refused++;
      }),
      { numRuns: 400, seed: 2026 },
    );
    expect(refused).toBe(400);
    expect(await state()).toBe(before);
  });
});
