import {
  IMAGES_KEY,
  LEGACY_HISTORY_KEY,
  META_KEY,
  SCHEMA_VERSION,
  sessionKey,
  SESSIONS_KEY,
  type HistoryV1,
  type ImageRecord,
  type SampleRow,
  type SessionInfo,
} from './schema';
import { DEFAULT_SETTINGS, type Settings } from './settings';
import { isQuotaError, StorageFullError, type StorageArea } from './storage-area';

export type Retention = Settings['retention'];

/** A session longer than this keeps its newest rows (about 1.5 MB; 4 faces for 80 minutes). */
export const MAX_ROWS_PER_SESSION = 20_000;
const DAY_MS = 86_400_000;

export interface SamplesBatch {
  sessionId: string;
  pageUrl: string;
  title: string;
  rows: SampleRow[];
}

/**
 * Serialises writers of one storage area within a context; navigator.locks also across contexts.
 * Waiting for another context's lock is bounded: a write that cannot start in time fails (the
 * sender keeps its rows and retries) instead of queueing forever behind a stuck context.
 */
const queues = new WeakMap<object, Promise<unknown>>();
const LOCK_WAIT_MS = 5000;
function exclusive<T>(area: object, job: () => Promise<T>): Promise<T> {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  const guarded = locks
    ? () =>
        (locks.request('faceml-history', { signal: AbortSignal.timeout(LOCK_WAIT_MS) }, job) as Promise<T>).catch((err: Error) => {
          if (err?.name === 'TimeoutError' || err?.name === 'AbortError') {
            console.warn('faceml: history lock busy for', LOCK_WAIT_MS, 'ms');
            throw new Error('history storage is busy; the write will be retried');
          }
          throw err;
        })
    : job;
  const run = (queues.get(area) ?? Promise.resolve()).then(guarded, guarded);
  queues.set(area, run.catch(() => undefined));
  return run;
}

const rowKey = (r: SampleRow) => `${r[0]}:${r[1]}:${r[2]}`;

/** A session as it was before it was deleted: enough to put it back. */
export interface DeletedSession {
  info: SessionInfo;
  rows: SampleRow[];
}

/**
 * History in extension storage (never anywhere else). Every write runs exclusively (one queue,
 * plus navigator.locks where available), so reports arriving from several tabs at once are never
 * interleaved or lost; each write is one storage.set, so a worker killed mid-write leaves the
 * previous state. Appends are idempotent (a resent second is stored once), so a sender may retry
 * until it gets an answer. Retention (count and age) is applied on every write.
 */
export class HistoryStore {
  private migrated: Promise<void> | null = null;

  constructor(
    private readonly area: StorageArea,
    private readonly retention: () => Promise<Retention> = async () => DEFAULT_SETTINGS.retention,
    private readonly now: () => number = Date.now,
  ) {}

  /** Upgrades older layouts once; every other method waits for it. */
  migrate(): Promise<void> {
    this.migrated ??= exclusive(this.area, async () => {
      const got = await this.area.get([META_KEY, LEGACY_HISTORY_KEY, IMAGES_KEY]);
      const version = (got[META_KEY] as { version?: number } | undefined)?.version ?? 1;
      if (version > SCHEMA_VERSION) throw new Error(`history was written by a newer FaceML (schema ${version})`);
      if (version === SCHEMA_VERSION) return;
      const legacy = got[LEGACY_HISTORY_KEY] as HistoryV1 | undefined;
      const images = [...((got[IMAGES_KEY] as ImageRecord[] | undefined) ?? []), ...(legacy?.version === 1 ? legacy.images : [])];
      await this.write({ [IMAGES_KEY]: images, [META_KEY]: { version: SCHEMA_VERSION } });
      if (legacy) await this.area.remove(LEGACY_HISTORY_KEY);
    }).catch((err) => {
      this.migrated = null;
      throw err;
    });
    return this.migrated;
  }

  /** The sessions retention keeps, as of now (one past its age is not listed while nothing is written). */
  async sessions(): Promise<SessionInfo[]> {
    await this.migrate();
    return (await this.pruneSessions(await this.readSessions())).keep;
  }

  async sessionRows(id: string): Promise<SampleRow[]> {
    await this.migrate();
    if (!(await this.sessions()).some((s) => s.id === id)) return [];
    return this.readRows(id);
  }

  async images(): Promise<ImageRecord[]> {
    await this.migrate();
    return this.pruneImages(await this.readImages());
  }

  /** Everything, for export. */
  async all(): Promise<{ version: number; sessions: (SessionInfo & { samples: SampleRow[] })[]; images: ImageRecord[] }> {
    const sessions = await this.sessions();
    // These sessions are the retained ones already: their rows are read without asking again.
    const withRows = await Promise.all(sessions.map(async (s) => ({ ...s, samples: await this.readRows(s.id) })));
    return { version: SCHEMA_VERSION, sessions: withRows, images: await this.images() };
  }

  /** Adds per-second rows to a session (created on first use). Returns how many rows were new. */
  appendSamples(batch: SamplesBatch): Promise<number> {
    return this.job(async () => {
      const key = sessionKey(batch.sessionId);
      const got = await this.area.get([SESSIONS_KEY, key]);
      const sessions = (got[SESSIONS_KEY] as SessionInfo[] | undefined) ?? [];
      const rows = (got[key] as SampleRow[] | undefined) ?? [];
      const seen = new Set(rows.map(rowKey));
      const fresh = batch.rows.filter((r) => !seen.has(rowKey(r)) && (seen.add(rowKey(r)), true));
      if (fresh.length === 0) return 0;
      const merged = [...rows, ...fresh].sort((a, b) => a[0] - b[0]).slice(-MAX_ROWS_PER_SESSION);
      let info = sessions.find((s) => s.id === batch.sessionId);
      if (!info) {
        info = { id: batch.sessionId, started: merged[0][0] * 1000, updated: 0, pageUrl: displayUrl(batch.pageUrl), title: batch.title.slice(0, 300), rows: 0 };
        sessions.push(info);
      }
      info.started = merged[0][0] * 1000;
      info.updated = merged.at(-1)![0] * 1000;
      info.rows = merged.length;
      if (batch.title) info.title = batch.title.slice(0, 300);
      const { keep, dropped } = await this.pruneSessions(sessions);
      await this.write({ [SESSIONS_KEY]: keep, ...(keep.includes(info) ? { [key]: merged } : {}) });
      if (dropped.length) await this.area.remove(dropped.map(sessionKey));
      return fresh.length;
    });
  }

  addImage(record: ImageRecord): Promise<void> {
    return this.job(async () => {
      const images = [...(await this.readImages()), record];
      await this.write({ [IMAGES_KEY]: await this.pruneImages(images) });
    });
  }

  /**
   * Rows first, then the index: a worker stopped in between leaves a listed session with no rows
   * (shown empty, deletable again), never rows that nothing lists. Returns what was deleted (null
   * when nothing was listed under that id), which restoreSession puts back: the side panel's Undo.
   */
  deleteSession(id: string): Promise<DeletedSession | null> {
    return this.job(async () => {
      const sessions = await this.readSessions();
      const info = sessions.find((s) => s.id === id);
      const rows = await this.readRows(id);
      await this.area.remove(sessionKey(id));
      await this.write({ [SESSIONS_KEY]: sessions.filter((s) => s.id !== id) });
      return info ? { info, rows } : null;
    });
  }

  /**
   * Puts a deleted session back where it was in the index (by start time), rows first. If the
   * session has new rows meanwhile (detection still on in that tab), both sets are kept.
   */
  restoreSession({ info, rows }: DeletedSession): Promise<void> {
    return this.job(async () => {
      const sessions = await this.readSessions();
      const merged = [...(await this.readRows(info.id)), ...rows];
      const unique = [...new Map(merged.map((r) => [rowKey(r), r])).values()].sort((a, b) => a[0] - b[0]).slice(-MAX_ROWS_PER_SESSION);
      const others = sessions.filter((s) => s.id !== info.id);
      const restored: SessionInfo = { ...info, rows: unique.length, started: unique.length ? unique[0][0] * 1000 : info.started, updated: unique.length ? unique.at(-1)![0] * 1000 : info.updated };
      const index = [...others, restored].sort((a, b) => a.started - b.started);
      await this.write({ [sessionKey(info.id)]: unique });
      await this.write({ [SESSIONS_KEY]: index });
    });
  }

  deleteImage(id: string): Promise<void> {
    return this.job(async () => {
      await this.write({ [IMAGES_KEY]: (await this.readImages()).filter((i) => i.id !== id) });
    });
  }

  /** Deletes all history (settings stay). */
  clear(): Promise<void> {
    return this.job(async () => {
      const keys = (await this.allKeys()).filter((k) => k.startsWith('faceml:session:') || k === SESSIONS_KEY || k === IMAGES_KEY || k === LEGACY_HISTORY_KEY);
      await this.area.remove(keys);
    });
  }

  /**
   * Applies the retention settings now (after the user lowered them, and at every start of the
   * background), and sweeps away session rows that no session lists (left by a write or a delete
   * that a stopped worker did not finish).
   */
  applyRetention(): Promise<void> {
    return this.job(async () => {
      // It runs at every start of the worker (MV3 restarts it often): write only what it changes.
      const sessions = await this.readSessions();
      const { keep } = await this.pruneSessions(sessions);
      const images = await this.readImages();
      const keptImages = await this.pruneImages(images);
      if (keep.length !== sessions.length || keptImages.length !== images.length) await this.write({ [SESSIONS_KEY]: keep, [IMAGES_KEY]: keptImages });
      // Rows no kept session lists: the dropped sessions' and any a stopped worker left behind.
      const listed = new Set(keep.map((s) => sessionKey(s.id)));
      const unlisted = (await this.allKeys()).filter((k) => k.startsWith(sessionKey('')) && !listed.has(k));
      if (unlisted.length) await this.area.remove(unlisted);
    });
  }

  /** Every key in the area; without reading the values (every session's rows) where it can. */
  private async allKeys(): Promise<string[]> {
    return this.area.getKeys ? this.area.getKeys() : Object.keys(await this.area.get(null));
  }

  private async readRows(id: string): Promise<SampleRow[]> {
    const key = sessionKey(id);
    return ((await this.area.get(key))[key] as SampleRow[] | undefined) ?? [];
  }

  private async readSessions(): Promise<SessionInfo[]> {
    return ((await this.area.get(SESSIONS_KEY))[SESSIONS_KEY] as SessionInfo[] | undefined) ?? [];
  }

  private async readImages(): Promise<ImageRecord[]> {
    return ((await this.area.get(IMAGES_KEY))[IMAGES_KEY] as ImageRecord[] | undefined) ?? [];
  }

  private async pruneSessions(sessions: SessionInfo[]): Promise<{ keep: SessionInfo[]; dropped: string[] }> {
    const r = await this.retention();
    const oldest = this.now() - r.days * DAY_MS;
    const fresh = sessions.filter((s) => s.updated === 0 || s.updated >= oldest);
    const keep = fresh.slice(-r.sessions);
    return { keep, dropped: sessions.filter((s) => !keep.includes(s)).map((s) => s.id) };
  }

  private async pruneImages(images: ImageRecord[]): Promise<ImageRecord[]> {
    const r = await this.retention();
    const oldest = this.now() - r.days * DAY_MS;
    return images.filter((i) => i.time >= oldest).slice(-r.images);
  }

  private async job<T>(work: () => Promise<T>): Promise<T> {
    await this.migrate();
    return exclusive(this.area, work);
  }

  private async write(items: Record<string, unknown>): Promise<void> {
    try {
      await this.area.set(items);
    } catch (err) {
      if (isQuotaError(err)) {
        throw new StorageFullError('Extension storage is full, so this was not saved. Delete old sessions or images in the side panel, or lower the history retention in settings.');
      }
      throw err;
    }
  }
}

/**
 * A URL as history keeps it: without query and fragment (they carry meeting passwords, tokens
 * and search terms: `?pwd=...`), and short: a data: URL would store the whole image.
 */
export function displayUrl(url: string): string {
  if (url.startsWith('data:')) return `${url.slice(0, url.indexOf(',') + 1)}...(${url.length} chars)`;
  const cut = url.search(/[?#]/);
  return (cut < 0 ? url : url.slice(0, cut)).slice(0, 2048);
}
