import { LRUCache } from 'lru-cache';
import { FaceTracker, type TrackerOptions } from '../core/tracking';

export interface StreamRegistryOptions {
  /** A stream with no frame for this long is forgotten. */
  idleMs: number;
  /** Most live streams; the least recently used one is dropped beyond it. */
  maxStreams: number;
  tracker?: Partial<TrackerOptions>;
}

/**
 * One FaceTracker per client stream id, bounded in number and in idle time (lru-cache: a
 * maintained LRU with per-entry TTL, rather than hand-written expiry timers).
 */
export class StreamRegistry {
  private readonly streams: LRUCache<string, FaceTracker>;

  constructor(private readonly options: StreamRegistryOptions) {
    this.streams = new LRUCache<string, FaceTracker>({ max: options.maxStreams, ttl: options.idleMs, updateAgeOnGet: true, ttlAutopurge: false });
  }

  trackerFor(streamId: string): FaceTracker {
    let tracker = this.streams.get(streamId);
    if (!tracker) {
      tracker = new FaceTracker(this.options.tracker);
      this.streams.set(streamId, tracker);
    }
    return tracker;
  }

  get size(): number {
    this.streams.purgeStale();
    return this.streams.size;
  }
}
