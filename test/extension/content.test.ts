// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startContentScript, type ContentLifetime } from '../../src/extension/content/main';
import { HistoryBuffer } from '../../src/extension/content/history-buffer';
import { toWire, type MessageName, type RequestOf } from '../../src/extension/protocol';
import { LABELS, type EmotionScores } from '../../src/core/labels';
import { fakeExtension } from '../helpers/fake-extension';

const happy = Object.fromEntries(LABELS.map((l) => [l, l === 'happy' ? 0.9 : 0.1 / 6])) as EmotionScores;

/** A lifetime like WXT's ctx: its listeners go when it is invalidated. */
function lifetime() {
  const ends: (() => void)[] = [];
  const listeners: [Window, string, (e: Event) => void][] = [];
  const ctx: ContentLifetime = {
    addEventListener: (target, type, listener, options) => {
      target.addEventListener(type, listener, options);
      listeners.push([target, type, listener]);
    },
    onInvalidated: (cb) => ends.push(cb),
  };
  const invalidate = () => {
    for (const [target, type, listener] of listeners) target.removeEventListener(type, listener);
    ends.forEach((end) => end());
  };
  return { ctx, invalidate };
}

describe('content script with WXT fake browser', () => {
  let ext: ReturnType<typeof fakeExtension>;
  const fromBackground = () => ({ id: ext.browser.runtime.id, url: ext.browser.runtime.getURL('/background.js' as never) });
  const fromPage = () => ({ id: ext.browser.runtime.id, url: 'https://evil.example/', tab: { id: 9 } });
  /** Delivers a message as Chrome would, and returns the content script's answer. */
  async function deliver<N extends MessageName>(name: N, request: RequestOf<N>, sender: object): Promise<unknown> {
    let answer: unknown;
    await ext.fake.runtime.onMessage.trigger(toWire(name, request), sender as never, ((a: unknown) => (answer = a)) as never);
    await new Promise((r) => setTimeout(r, 0));
    return answer;
  }

  beforeEach(() => {
    ext = fakeExtension();
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'clearTimeout', 'clearInterval', 'requestAnimationFrame', 'cancelAnimationFrame'] });
  });
  afterEach(() => vi.useRealTimers());

  it('starts and stops sampling when the background says so; stopping leaves no timer or frame behind', async () => {
    const { ctx } = lifetime();
    const { sampler } = startContentScript(ext.browser, ctx);
    const idle = vi.getTimerCount();
    vi.useRealTimers();
    expect(await deliver('setEnabled', { enabled: true }, fromBackground())).toEqual({ ok: true });
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'clearTimeout', 'clearInterval', 'requestAnimationFrame', 'cancelAnimationFrame'] });
    expect(sampler.running).toBe(true);
    sampler.stop();
    sampler.start();
    expect(vi.getTimerCount()).toBeGreaterThan(idle); // the flush interval, the sampling loop, the overlay frame
    sampler.stop();
    expect(vi.getTimerCount()).toBe(idle);
    expect(sampler.live().running).toBe(false);
  });

  it('answers live and image results from the background only; a page context is refused', async () => {
    vi.useRealTimers();
    startContentScript(ext.browser, lifetime().ctx);
    expect(await deliver('live', {}, fromBackground())).toMatchObject({ ok: true, running: false, faces: [] });
    expect(await deliver('live', {}, fromPage())).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await deliver('setEnabled', { enabled: true }, { ...fromBackground(), id: 'another-extension' })).toBeUndefined();
    expect(await deliver('showImageResult', { srcUrl: 'x', faces: [{ nonsense: true } as never], width: 1, height: 1 }, fromBackground())).toMatchObject({
      ok: false,
      error: { code: 'INVALID_MESSAGE' },
    });
  });

  it('removes its listeners and overlays when its context is invalidated (extension reloaded)', async () => {
    vi.useRealTimers();
    const { ctx, invalidate } = lifetime();
    const { sampler } = startContentScript(ext.browser, ctx);
    sampler.start();
    expect(ext.fake.runtime.onMessage.hasListeners()).toBe(true);
    invalidate();
    expect(ext.fake.runtime.onMessage.hasListeners()).toBe(false);
    expect(sampler.running).toBe(false);
  });
});

describe('HistoryBuffer (page side of history)', () => {
  /** The background's answer to every historySamples message, and what it was sent. */
  function background(answer: unknown) {
    const ext = fakeExtension();
    const sent: { rows: number[][] }[] = [];
    ext.fake.runtime.onMessage.addListener(((m: { rows: number[][] }, _s: unknown, respond: (a: unknown) => void) => {
      sent.push(m);
      respond(answer);
      return true;
    }) as never);
    return { ext, sent };
  }

  it('keeps flushing after a flush that had nothing to send (engine still loading)', async () => {
    const { ext, sent } = background({ ok: true, saved: 1 });
    const buffer = new HistoryBuffer(ext.browser, 's1');
    await buffer.flush(); // nothing analysed yet: returns without sending
    // Two seconds of the face: history keeps faces in view 2 s or more (GlimpseFilter).
    buffer.add(1, 1, happy, 1_000_000_100);
    buffer.add(1, 1, happy, 1_000_001_100);
    await buffer.flush(true);
    expect(sent.length).toBe(1);
    buffer.add(1, 1, happy, 1_000_002_100);
    await buffer.flush(true);
    expect(sent.length).toBe(2);
    expect(buffer.unsaved).toBe(0);
  });

  it('holds rows the background did not confirm, reports why, and resends them', async () => {
    const { ext, sent } = background({ ok: false, error: { code: 'STORAGE_FULL', message: 'storage is full' } });
    const buffer = new HistoryBuffer(ext.browser, 's2');
    buffer.add(1, 1, happy, 2_000_000_100);
    buffer.add(1, 1, happy, 2_000_001_100);
    await buffer.flush(true);
    expect(buffer.unsaved).toBe(2);
    expect(buffer.error).toBe('storage is full');
    buffer.add(1, 1, happy, 2_000_002_100);
    await buffer.flush(true);
    expect(sent.at(-1)!.rows.map((r) => r[0])).toEqual([2_000_000, 2_000_001, 2_000_002]);
  });

  it('leaves glimpses out: a face seen in one second only is not stored', async () => {
    const { ext, sent } = background({ ok: true, saved: 1 });
    const buffer = new HistoryBuffer(ext.browser, 's3');
    buffer.add(1, 1, happy, 3_000_000_100);
    buffer.add(1, 2, happy, 3_000_000_200);
    buffer.add(1, 1, happy, 3_000_001_100);
    await buffer.flush(true);
    expect(sent.at(-1)!.rows.map((r) => [r[0], r[2]])).toEqual([
      [3_000_000, 1],
      [3_000_001, 1],
    ]);
  });
});
