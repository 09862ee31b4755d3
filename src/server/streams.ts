import { LRUCache } from 'lru-cache';
import type { EmotionPipeline } from '../core/pipeline';
import { EmotionStream, type EmotionStreamOptions } from '../core/stream';

export interface StreamRegistryOptions {
  /** A stream with no frame for this long is forgotten. */
  idleMs: number;
  /** Most live streams; the least recently used one is dropped beyond it. */
  maxStreams: number;
  /** Video-mode options of every client stream (default: detect every frame, smooth scores). */
  stream?: Partial<EmotionStreamOptions>;
}

/**
 * One EmotionStream per client stream id, bounded in number and in idle time (lru-cache: a
 * maintained LRU with per-entry TTL, rather than hand-written expiry timers).
 */
export class StreamRegistry {
  private readonly streams: LRUCache<string, EmotionStream>;

  constructor(private readonly options: StreamRegistryOptions) {
    this.streams = new LRUCache<string, EmotionStream>({
      max: options.maxStreams,
      ttl: options.idleMs,
      updateAgeOnGet: true,
      ttlAutopurge: false,
      dispose: (stream) => stream.dispose(),
    });
  }

  /** The stream with this id, started on `pipeline` when it is new (or was forgotten). */
  streamFor(streamId: string, pipeline: EmotionPipeline): EmotionStream {
    let stream = this.streams.get(streamId);
    if (!stream) {
      stream = new EmotionStream(pipeline, this.options.stream);
      this.streams.set(streamId, stream);
    }
    return stream;
  }

  get size(): number {
    this.streams.purgeStale();
    return this.streams.size;
  }
}
