import type { EmotionPipeline } from '../../core/pipeline';
import { DEFAULT_STREAM_OPTIONS, EmotionStream } from '../../core/stream';
import type { FrameOptions } from '../protocol';

/**
 * The detector is the slow step (~30 ms a frame here) and faces in a video move little between
 * frames. Once a video's faces are known, every frame is classified at the latest boxes right
 * away, and every third frame also runs the detector in the background (in the sandbox iframe)
 * to refresh the boxes for the frames after it: detection is off the path from frame to overlay.
 */
const VIDEO_MODE = { detectEvery: 3, detectInBackground: true } as const;
/** A stream with no frame for this long is forgotten (its video went away without saying so). */
const IDLE_MS = 60_000;

/** One EmotionStream per tab video, keyed by tab and video id. */
export class VideoStreams {
  private readonly streams = new Map<string, { stream: EmotionStream; used: number }>();

  /**
   * The stream of this video; changed smoothing starts a new one (face ids restart; rare,
   * user-initiated). The minimum face size follows the video's size on screen, so it changes
   * in place.
   */
  streamFor(pipeline: EmotionPipeline, tabId: number, videoId: string, options: FrameOptions = {}): EmotionStream {
    const now = Date.now();
    for (const [key, entry] of this.streams) if (now - entry.used > IDLE_MS) this.drop(key);
    const key = `${tabId}:${videoId}`;
    let entry = this.streams.get(key);
    if (entry && entry.stream.options.smoothing !== (options.smoothing ?? DEFAULT_STREAM_OPTIONS.smoothing)) {
      this.drop(key);
      entry = undefined;
    }
    if (!entry) {
      entry = { stream: new EmotionStream(pipeline, { ...VIDEO_MODE, smoothing: options.smoothing, minFaceSize: options.minFaceSize }), used: now };
      this.streams.set(key, entry);
    }
    // A frame searched in finer tiles (a large gallery) may use up to 6x6 of them.
    entry.stream.setSearch({ minFaceSize: options.minFaceSize, ...(options.tileSide ? { tileSide: options.tileSide, maxTilesPerSide: 6 } : {}) });
    entry.used = now;
    return entry.stream;
  }

  forget(tabId: number, videoId: string): void {
    this.drop(`${tabId}:${videoId}`);
  }

  clear(): void {
    for (const key of [...this.streams.keys()]) this.drop(key);
  }

  get size(): number {
    return this.streams.size;
  }

  private drop(key: string): void {
    this.streams.get(key)?.stream.dispose();
    this.streams.delete(key);
  }
}
