import fc from 'fast-check';
import type { SampleRow } from '../../src/storage/schema';

/**
 * Forged messages a content script could send that pass their protocol guards (well-formed), yet
 * that no content script may have answered: the sender and authorisation checks must refuse
 * them. Shared by the fake-browser property test and the real-Chromium fuzz test.
 */
export interface ForgedTabs {
  /** A tab with detection on (its content script may send frames and rows for its own session). */
  on: number;
  /** A tab with detection off. */
  off: number;
  /** A session the on-tab owns, and the webcam page's session. */
  ownSession: string;
  webcamSession: string;
}

export interface Forged {
  from: 'on' | 'off';
  name: string;
  request: Record<string, unknown>;
}

const nowS = () => Math.floor(Date.now() / 1000);
const row = (offset: fc.Arbitrary<number>) =>
  fc
    .tuple(offset, fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 99 }), fc.integer({ min: 1, max: 30 }), fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 7, maxLength: 7 }))
    .map(([dt, video, face, frames, scores]) => [nowS() + dt, video, face, frames, ...scores] as SampleRow);
const recentRows = fc.array(row(fc.integer({ min: -600, max: 30 })), { minLength: 1, maxLength: 5 });
const staleRows = fc.array(row(fc.oneof(fc.integer({ min: -10 * 365 * 86_400, max: -3600 }), fc.integer({ min: 3600, max: 100 * 365 * 86_400 }))), { minLength: 1, maxLength: 3 });
const box = fc.record({ x: fc.integer({ min: 0, max: 500 }), y: fc.integer({ min: 0, max: 500 }), width: fc.integer({ min: 20, max: 500 }), height: fc.integer({ min: 20, max: 500 }) });
const anyId = fc.stringMatching(/^[\w-]{1,64}$/);
const frame = fc.constant('data:image/jpeg;base64,AAAA');

export function forgedMessages(t: ForgedTabs): fc.Arbitrary<Forged> {
  const tab = fc.constantFrom(t.on, t.off);
  const either = fc.constantFrom<'on' | 'off'>('on', 'off');
  return fc.oneof(
    // A tab that is off: no new session, and none of the existing ones.
    fc.record({ from: fc.constant<'off'>('off'), name: fc.constant('historySamples'), request: fc.record({ sessionId: fc.oneof(anyId, fc.constantFrom(t.ownSession, t.webcamSession)), rows: recentRows }) }),
    // The tab that is on, into a session that is not its own.
    fc.record({ from: fc.constant<'on'>('on'), name: fc.constant('historySamples'), request: fc.record({ sessionId: fc.constant(t.webcamSession), rows: recentRows }) }),
    // Any tab, any session, rows dated hours to years away from now (the year 5138...).
    fc.record({ from: either, name: fc.constant('historySamples'), request: fc.record({ sessionId: fc.oneof(anyId, fc.constant(t.ownSession)), rows: staleRows }) }),
    // Captures and engine restarts for a tab that is off.
    fc.record({ from: fc.constant<'off'>('off'), name: fc.constant('analyzeCapture'), request: fc.record({ videoId: anyId, rect: box, devicePixelRatio: fc.constantFrom(1, 2) }) }),
    fc.record({ from: fc.constant<'off'>('off'), name: fc.constant('ensureEngine'), request: fc.constant({}) }),
    // What only the popup, the engine or the background may ask.
    fc.record({ from: either, name: fc.constantFrom('toggle', 'tabState'), request: fc.record({ tabId: tab }) }),
    fc.record({ from: either, name: fc.constant('engineStatusChanged'), request: fc.record({ state: fc.constantFrom('loading', 'ready', 'error'), progress: fc.double({ min: 0, max: 1, noNaN: true }), detail: fc.string() }) }),
    fc.record({ from: either, name: fc.constant('analyzeScreenshot'), request: fc.record({ tabId: tab, videoId: anyId, frame, crop: box }) }),
    fc.record({ from: either, name: fc.constant('analyzeImage'), request: fc.record({ frame }) }),
    fc.record({ from: either, name: fc.constantFrom('engineConfig', 'engineStatus'), request: fc.constant({}) }),
  ) as fc.Arbitrary<Forged>;
}
