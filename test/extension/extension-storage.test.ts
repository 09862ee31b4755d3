import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { indexedDbStorage, type StorageChanges } from '../../src/extension/extension-storage';
import { HistoryStore } from '../../src/storage/history';
import { LABELS } from '../../src/core/labels';
import type { SampleRow } from '../../src/storage/schema';

/**
 * Firefox keeps FaceML's data in the extension origin's IndexedDB (its content scripts could
 * read storage.local). Here on fake-indexeddb, an in-memory implementation of the IndexedDB API,
 * and Node's BroadcastChannel: the area the history store and settings use, with change events
 * from one context (instance) to another.
 */
describe('extension storage on IndexedDB (Firefox)', () => {
  it('gets, sets and removes like storage.local, and tells other contexts what changed', async () => {
    const writer = indexedDbStorage('faceml-test-1');
    const reader = indexedDbStorage('faceml-test-1'); // another context: same database
    const seen: StorageChanges[] = [];
    const stop = reader.onChanged((c) => seen.push(c));
    await writer.local.set({ a: 1, b: { nested: [1, 2] } });
    expect(await reader.local.get(['a', 'b', 'missing'])).toEqual({ a: 1, b: { nested: [1, 2] } });
    expect(await reader.local.get('a')).toEqual({ a: 1 });
    await writer.local.remove('a');
    expect(await reader.local.get(null)).toEqual({ b: { nested: [1, 2] } });
    expect(await reader.local.getKeys!()).toEqual(['b']);
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual([{ a: { newValue: 1 }, b: { newValue: { nested: [1, 2] } } }, { a: {} }]);
    stop();
  });

  it('holds the history store as storage.local does', async () => {
    const { local } = indexedDbStorage('faceml-test-2');
    const store = new HistoryStore(local);
    const now = Math.floor(Date.now() / 1000);
    const row = [now, 1, 1, 5, ...LABELS.map(() => 100)] as SampleRow;
    await store.appendSamples({ sessionId: 's1', pageUrl: 'https://meet.example/x?pwd=1', title: 'Call', rows: [row] });
    expect((await store.sessions()).map((s) => [s.id, s.pageUrl, s.rows])).toEqual([['s1', 'https://meet.example/x', 1]]);
    expect(await new HistoryStore(indexedDbStorage('faceml-test-2').local).sessionRows('s1')).toEqual([row]);
    await store.deleteSession('s1');
    expect(await store.sessions()).toEqual([]);
  });
});
