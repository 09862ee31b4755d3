import type { DetectorOptions } from './detector';
import { FaceMLError } from './errors';
import type { Box, GrayImage, RgbaImage } from './image';
import type { AnalysisResult, EmotionPipeline } from './pipeline';
import { FaceTracker, type TrackedFace, type TrackerOptions } from './tracking';

/**
 * Options fixed when a stream is created (like tfjs-models' ModelConfig or MediaPipe's
 * runningMode 'VIDEO'): a changed value means a new stream.
 */
export interface EmotionStreamOptions {
  /** Weight of the history in each face's score average, 0..0.95 (see TrackerOptions.smoothing). */
  smoothing: number;
  /**
   * Run the detector on every N-th frame; the frames between reuse the boxes it found (faces in a
   * video move little between frames). 1: every frame is detected.
   */
  detectEvery: number;
  /**
   * When the detector runs on a frame whose faces are already known, classify that frame at the
   * known boxes at once and let detection finish in the background for the frames after it (the
   * detector is then off the path from frame to answer). False: such a frame waits for detection.
   */
  detectInBackground: boolean;
  /** Smallest face to look for, in pixels of the frames given to analyze(). */
  minFaceSize?: number;
  /** Every frame is one face crop framed like FER-2013 (datasets): classified whole, never detected. */
  wholeFrameIsFace: boolean;
  /** Tracker settings other than smoothing (box overlap, frames a face survives a miss). */
  tracker?: Partial<Omit<TrackerOptions, 'smoothing'>>;
}

export const DEFAULT_STREAM_OPTIONS: Readonly<EmotionStreamOptions> = Object.freeze({
  smoothing: 0.75,
  detectEvery: 1,
  detectInBackground: false,
  wholeFrameIsFace: false,
});

export interface StreamResult {
  /** Faces with stable ids and smoothed scores, in the frame's pixels. */
  faces: TrackedFace[];
  image: AnalysisResult['image'];
  timing: AnalysisResult['timing'];
  /** True when this frame's boxes came from the detector, false when reused from an earlier frame. */
  detected: boolean;
  timestamp: number;
}

/**
 * Video mode: the pipeline applied to consecutive frames of one video or client stream, shaped like
 * MediaPipe's `detectForVideo(frame, timestamp)` and tfjs-models' `estimatePoses(image, config,
 * timestamp)`. It owns what carries over between frames, so that no caller assembles it: the face
 * tracker (ids, smoothing, alternating face / mirror-image views) and the boxes reused between
 * detector runs. The extension's engine, the REST stream endpoint and `npm run eval --video-frames`
 * all analyse video through it.
 */
export class EmotionStream {
  readonly options: Readonly<EmotionStreamOptions>;
  private tracker: FaceTracker;
  /** The detector's latest boxes and the frame size they belong to (a resized video drops them). */
  private boxes: Box[] = [];
  private frameSize = '';
  private sinceDetect = 0;
  /** Whether `boxes` came from a detector run no frame has used yet (they may start tracks). */
  private freshBoxes = false;
  /** A background detector run under way (at most one per stream). */
  private detecting: Promise<void> | null = null;
  private lastTimestamp = -Infinity;
  /** Bumped by reset(): a background run started before it must not write its boxes after it. */
  private generation = 0;
  private disposed = false;
  /** The detector's search now (minimum face size, tile side; frame px); may change between frames. */
  private search: Partial<Pick<DetectorOptions, 'minFaceSize' | 'tileSide' | 'maxTilesPerSide'>> = {};

  constructor(
    private readonly pipeline: EmotionPipeline,
    options: Partial<EmotionStreamOptions> = {},
  ) {
    this.options = Object.freeze({ ...DEFAULT_STREAM_OPTIONS, ...dropUndefined(options) });
    const { smoothing, detectEvery, minFaceSize } = this.options;
    if (!(smoothing >= 0 && smoothing <= 0.95)) throw new FaceMLError('INVALID_ARGUMENT', `smoothing must be in [0, 0.95], got ${smoothing}`);
    if (!(Number.isInteger(detectEvery) && detectEvery >= 1)) throw new FaceMLError('INVALID_ARGUMENT', `detectEvery must be a whole number >= 1, got ${detectEvery}`);
    this.setSearch({ minFaceSize });
    this.tracker = this.newTracker();
  }

  /**
   * Changes how the detector searches from the next detection on, keeping the faces followed: a
   * video shown larger or smaller on screen keeps its on-screen minimum face size, and a large
   * frame is searched in finer tiles (extension sampler).
   */
  setSearch({ minFaceSize, tileSide, maxTilesPerSide }: { minFaceSize?: number; tileSide?: number; maxTilesPerSide?: number }): void {
    if (minFaceSize !== undefined && !(minFaceSize >= 1)) throw new FaceMLError('INVALID_ARGUMENT', `minFaceSize must be >= 1 pixel, got ${minFaceSize}`);
    if (tileSide !== undefined && !(tileSide >= 0)) throw new FaceMLError('INVALID_ARGUMENT', `tileSide must be >= 0, got ${tileSide}`);
    this.search = { ...(minFaceSize ? { minFaceSize } : {}), ...(tileSide !== undefined ? { tileSide } : {}), ...(maxTilesPerSide !== undefined ? { maxTilesPerSide } : {}) };
  }

  /**
   * Analyses the next frame. `timestamp` (ms, e.g. performance.now() or a video's currentTime)
   * must not go backwards within a stream: frames out of order would mislead the tracker.
   */
  async analyze(frame: RgbaImage | GrayImage, timestamp: number = Date.now()): Promise<StreamResult> {
    if (this.disposed) throw new FaceMLError('INVALID_ARGUMENT', 'this stream was disposed');
    if (!Number.isFinite(timestamp)) throw new FaceMLError('INVALID_ARGUMENT', `timestamp must be a finite number, got ${timestamp}`);
    if (timestamp < this.lastTimestamp) throw new FaceMLError('INVALID_ARGUMENT', `timestamp ${timestamp} is earlier than the previous frame's (${this.lastTimestamp})`);
    this.lastTimestamp = timestamp;
    const views = this.tracker.nextViews();
    if (this.options.wholeFrameIsFace) {
      const result = await this.pipeline.analyze(frame, { imageIsFaceCrop: true, views });
      return this.track(result, true, timestamp);
    }
    const size = `${frame.width}x${frame.height}`;
    const known = this.boxes.length > 0 && this.frameSize === size;
    const due = this.sinceDetect + 1 >= this.options.detectEvery;
    if (known && (!due || this.options.detectInBackground)) {
      // Only the detector starts tracks: boxes it just found may hold new people; the same boxes
      // reused later hold whoever was there, or by now no one (someone left, leaned out): such a
      // crop continues its track if it looks like it, and is dropped otherwise (it is no face the
      // detector saw, and counting it gave every brief absence a new face in history).
      const fresh = this.freshBoxes;
      this.freshBoxes = false;
      const result = await this.pipeline.analyze(frame, { boxes: this.boxes, views });
      this.sinceDetect++;
      if (due && !this.detecting) this.detectLater(frame, size);
      return this.track(result, false, timestamp, fresh);
    }
    const result = await this.pipeline.analyze(frame, { detector: this.detectorOptions(), views });
    this.boxes = result.faces.map((f) => f.box);
    this.frameSize = size;
    this.sinceDetect = 0;
    this.freshBoxes = false;
    return this.track(result, true, timestamp);
  }

  /** Forgets every face and box (a new scene, a seek): the next frame starts afresh. */
  reset(): void {
    this.generation++;
    this.tracker = this.newTracker();
    this.boxes = [];
    this.freshBoxes = false;
    this.frameSize = '';
    this.sinceDetect = 0;
    this.lastTimestamp = -Infinity;
  }

  /** Ends the stream. The pipeline is shared and stays loaded; only this stream's state goes. */
  dispose(): void {
    this.reset();
    this.disposed = true;
  }

  /** Faces followed now (tests, and callers that bound memory). */
  get trackedFaces(): number {
    return this.tracker.size;
  }

  /** Settles when no background detector run is under way (tests, and orderly shutdown). */
  async idle(): Promise<void> {
    await this.detecting;
  }

  private track(result: AnalysisResult, detected: boolean, timestamp: number, mayStartTracks = detected): StreamResult {
    return { faces: this.tracker.update(result.faces, { mayStartTracks }), image: result.image, timing: result.timing, detected, timestamp };
  }

  private detectorOptions(): Partial<DetectorOptions> | undefined {
    return Object.keys(this.search).length ? { ...this.search } : undefined;
  }

  /** Runs the detector without holding up the current frame; later frames use its boxes. */
  private detectLater(frame: RgbaImage | GrayImage, size: string): void {
    const generation = this.generation;
    this.detecting = this.pipeline
      .detectFaces(frame, this.detectorOptions())
      .then((boxes) => {
        if (generation === this.generation && this.frameSize === size) {
          this.boxes = boxes;
          this.freshBoxes = true;
          this.sinceDetect = 0;
        }
      })
      .catch(() => {
        // A failed background run changes nothing: the boxes stay, the next due frame retries.
      })
      .finally(() => (this.detecting = null));
  }

  private newTracker(): FaceTracker {
    return new FaceTracker({ ...this.options.tracker, smoothing: this.options.smoothing });
  }
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
