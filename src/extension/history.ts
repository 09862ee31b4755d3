import type { Box } from '../core/image';
import type { Emotion, EmotionScores } from '../core/labels';

/** One analysed image, as kept in history. */
export interface ImageRecord {
  id: string;
  /** ms since epoch */
  time: number;
  pageUrl: string;
  /** The image's URL (data: URLs are shortened; the pixels are not kept). */
  imageUrl: string;
  width: number;
  height: number;
  faces: { box: Box; emotion: Emotion; confidence: number; scores: EmotionScores }[];
}

export interface HistoryV1 {
  version: 1;
  images: ImageRecord[];
}

export interface StorageArea {
  get(key: string): Promise<Record<string, unknown>>;
  set(items: Record<string, unknown>): Promise<void>;
}

export const HISTORY_KEY = 'history';
export const MAX_IMAGES = 500;

export class StorageFullError extends Error {
  readonly code = 'STORAGE_FULL';
}

/**
 * History in extension storage (never anywhere else). Writes go through one queue so records
 * reported at the same time are never interleaved or lost; the oldest images beyond MAX_IMAGES
 * are dropped. (The side panel issue grows this into per-session aggregates and retention.)
 */
export class HistoryStore {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly area: StorageArea) {}

  async read(): Promise<HistoryV1> {
    const stored = (await this.area.get(HISTORY_KEY))[HISTORY_KEY] as HistoryV1 | undefined;
    return stored?.version === 1 ? stored : { version: 1, images: [] };
  }

  addImage(record: ImageRecord): Promise<void> {
    return this.enqueue(async () => {
      const history = await this.read();
      history.images = [...history.images, record].slice(-MAX_IMAGES);
      await this.write(history);
    });
  }

  clear(): Promise<void> {
    return this.enqueue(() => this.write({ version: 1, images: [] }));
  }

  private async write(history: HistoryV1): Promise<void> {
    try {
      await this.area.set({ [HISTORY_KEY]: history });
    } catch (err) {
      const message = (err as Error).message ?? String(err);
      if (/quota/i.test(message)) throw new StorageFullError('extension storage is full: delete some history in the side panel');
      throw err;
    }
  }

  private enqueue<T>(job: () => Promise<T>): Promise<T> {
    const run = this.queue.then(job, job);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** Keeps URLs short in history: data: URLs would store the whole image. */
export function displayUrl(url: string): string {
  return url.startsWith('data:') ? `${url.slice(0, url.indexOf(',') + 1)}...(${url.length} chars)` : url.slice(0, 2048);
}
