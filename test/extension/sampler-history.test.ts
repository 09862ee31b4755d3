// @vitest-environment happy-dom
import { describe, expect, it, vi } from 'vitest';
import { LABELS, type EmotionScores } from '../../src/core/labels';
import { VideoSampler } from '../../src/extension/video-sampler';

const happy = Object.fromEntries(LABELS.map((l) => [l, l === 'happy' ? 0.9 : 0.1 / 6])) as EmotionScores;

/** The sampler's history path with the runtime it talks to (the service worker) replaced by a recorder. */
function sampler(answer: unknown) {
  const sent: { rows: number[][] }[] = [];
  const browser = { runtime: { sendMessage: vi.fn(async (m: { type: string; rows: number[][] }) => (m.type === 'faceml/history-samples' ? (sent.push(m), answer) : undefined)) } };
  const s = new VideoSampler(browser as never);
  const feed = (second: number) => (s as unknown as { aggregator: { add: (v: number, f: number, sc: EmotionScores, t: number) => void } }).aggregator.add(1, 1, happy, second * 1000 + 100);
  return { s, sent, feed };
}

describe('VideoSampler history flushing', () => {
  it('keeps flushing after a flush that had nothing to send (engine still loading)', async () => {
    const { s, sent, feed } = sampler({ ok: true, saved: 1 });
    s.start();
    await s.flushHistory(); // nothing analysed yet: returns without sending
    feed(1_000_000);
    await s.flushHistory(true);
    expect(sent.length).toBe(1);
    feed(1_000_001);
    await s.flushHistory(true);
    expect(sent.length).toBe(2);
    expect(s.unsavedRows).toBe(0);
    s.stop();
  });

  it('holds rows the service worker did not confirm, reports why, and resends them', async () => {
    const { s, sent, feed } = sampler({ ok: false, error: { code: 'STORAGE_FULL', message: 'storage is full' } });
    s.start();
    feed(2_000_000);
    await s.flushHistory(true);
    expect(s.unsavedRows).toBe(1);
    expect(s.live().historyError).toBe('storage is full');
    feed(2_000_001);
    await s.flushHistory(true);
    expect(sent.at(-1)!.rows.map((r) => r[0])).toEqual([2_000_000, 2_000_001]);
    s.stop();
  });
});
