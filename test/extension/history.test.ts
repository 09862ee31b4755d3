import { describe, expect, it } from 'vitest';
import { displayUrl, HISTORY_KEY, HistoryStore, MAX_IMAGES, StorageFullError, type ImageRecord, type StorageArea } from '../../src/extension/history';

/** chrome.storage.local's contract: async get/set of JSON-serialisable values, with a quota. */
class MemoryArea implements StorageArea {
  data: Record<string, unknown> = {};
  constructor(private readonly quotaBytes = Infinity) {}
  async get(key: string) {
    await new Promise((r) => setTimeout(r, Math.random() * 3));
    return key in this.data ? { [key]: structuredClone(this.data[key]) } : {};
  }
  async set(items: Record<string, unknown>) {
    await new Promise((r) => setTimeout(r, Math.random() * 3));
    const next = { ...this.data, ...structuredClone(items) };
    if (JSON.stringify(next).length > this.quotaBytes) throw new Error('QUOTA_BYTES quota exceeded');
    this.data = next;
  }
}

const record = (i: number): ImageRecord => ({
  id: `r${i}`,
  time: 1_700_000_000_000 + i,
  pageUrl: 'http://127.0.0.1/page',
  imageUrl: `http://127.0.0.1/${i}.jpg`,
  width: 640,
  height: 480,
  faces: [],
});

describe('HistoryStore', () => {
  it('keeps every record when many are added at once (no interleaved writes)', async () => {
    const store = new HistoryStore(new MemoryArea());
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.addImage(record(i))));
    const { images } = await store.read();
    expect(images.map((r) => r.id)).toEqual(Array.from({ length: 50 }, (_, i) => `r${i}`));
  });

  it('keeps only the newest MAX_IMAGES records', async () => {
    const area = new MemoryArea();
    area.data[HISTORY_KEY] = { version: 1, images: Array.from({ length: MAX_IMAGES }, (_, i) => record(i)) };
    const store = new HistoryStore(area);
    await store.addImage(record(MAX_IMAGES));
    const { images } = await store.read();
    expect(images.length).toBe(MAX_IMAGES);
    expect(images[0].id).toBe('r1');
    expect(images.at(-1)!.id).toBe(`r${MAX_IMAGES}`);
  });

  it('reports a full storage clearly and loses nothing already saved', async () => {
    const area = new MemoryArea(1500);
    const store = new HistoryStore(area);
    await store.addImage(record(1));
    let error: unknown;
    for (let i = 2; i < 20 && !error; i++) await store.addImage(record(i)).catch((e) => (error = e));
    expect(error).toBeInstanceOf(StorageFullError);
    expect((error as Error).message).toMatch(/storage is full/);
    const { images } = await store.read();
    expect(images[0].id).toBe('r1');
    // The store still works after the failure.
    await store.clear();
    expect((await store.read()).images).toEqual([]);
  });

  it('shortens data: URLs instead of storing the image', () => {
    const short = displayUrl('data:image/png;base64,' + 'A'.repeat(10_000));
    expect(short.length).toBeLessThan(60);
    expect(short.startsWith('data:image/png;base64,')).toBe(true);
  });
});
