import { randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { EmotionPipeline } from '../core/pipeline';
import { EmotionStream, type EmotionStreamOptions } from '../core/stream';

export interface StreamRegistryOptions {
  /** A stream with no frame for this long is forgotten. */
  idleMs: number;
  /** Most live streams; beyond it new streams are refused until one falls idle. */
  maxStreams: number;
  /** Video-mode options of every client stream (default: detect every frame, smooth scores). */
  stream?: Partial<EmotionStreamOptions>;
}

/** Why a frame got no stream: the registry is full of streams that are still live. */
export class TooManyStreams extends Error {}

/**
 * One EmotionStream per client stream id, bounded in number and in idle time (lru-cache: a
 * maintained LRU with per-entry TTL, rather than hand-written expiry timers). A client that names
 * no stream gets a new one under an unguessable id of the server's making, so no two clients
 * share a tracker by accident. A full registry refuses new streams instead of evicting a live
 * one: a burst of made-up ids cannot take another client's tracker away.
 */
export class StreamRegistry {
  private readonly streams: LRUCache<string, EmotionStream>;

  constructor(private readonly options: StreamRegistryOptions) {
    this.streams = new LRUCache<string, EmotionStream>({
      // The cap is enforced in open(); lru-cache's own max would evict a live stream instead.
      max: options.maxStreams + 1,
      ttl: options.idleMs,
      updateAgeOnGet: true,
      ttlAutopurge: false,
      dispose: (stream) => stream.dispose(),
    });
  }

  /**
   * The stream with this id, started on `pipeline` when it is new or was forgotten; without an
   * id, a new stream with a fresh id. Throws TooManyStreams when a new stream would exceed the cap.
   */
  open(streamId: string | undefined, pipeline: EmotionPipeline): { id: string; stream: EmotionStream } {
    const id = streamId ?? randomBytes(16).toString('base64url');
    const existing = this.streams.get(id);
    if (existing) return { id, stream: existing };
    if (this.streams.size >= this.options.maxStreams) this.streams.purgeStale();
    if (this.streams.size >= this.options.maxStreams) {
      throw new TooManyStreams(`${this.streams.size} streams are live (the limit is ${this.options.maxStreams}); retry when one has been idle for ${Math.round(this.options.idleMs / 1000)} s`);
    }
    const stream = new EmotionStream(pipeline, this.options.stream);
    this.streams.set(id, stream);
    return { id, stream };
  }

  has(streamId: string): boolean {
    return this.streams.has(streamId);
  }

  get size(): number {
    this.streams.purgeStale();
    return this.streams.size;
  }
}
