import type { WxtBrowser as Browser } from 'wxt/browser';
import { EmotionClassifier, type ModelMetadata } from '../core/classifier';
import { FaceMLError } from '../core/errors';
import { EmotionPipeline, type FaceFinder } from '../core/pipeline';
import { initTensorflow, tf } from '../core/tf-backend';
import { chooseBackend } from '../core/backend-choice';
import { INPUT_SIZE } from '../core/preprocess';
import { webglRenderer } from './webgl';
import { FaceTracker } from '../core/tracking';
import { decodeInBrowser, thumbnailOf } from './browser-image';
import { cropRgba, toGray, type Box, type RgbaImage } from '../core/image';
import type { DetectorOptions } from '../core/detector';
import {
  isAnalyzeFrameRequest,
  isAnalyzeImageRequest,
  isAnalyzeScreenshotRequest,
  isVideoRemoved,
  type AnalyzeFrameResponse,
  type EngineConfig,
  type FrameOptions,
  type OffscreenStatus,
} from './messages';
import type { ModelChoice } from './model-choice';
import { modelSource } from './model-import';
import { SandboxDetector } from './sandbox-detector';

type Status = Omit<OffscreenStatus, 'type'>;

/**
 * The offscreen document's job: load the pipeline (tfjs wasm + model here, OpenCV in the
 * sandbox iframe), then analyse frames sent by content scripts, one tracker per video.
 */
/** What differs between where the engine runs: Chrome's offscreen document, Firefox's background page. */
export interface EngineHost {
  /** The face finder: OpenCV.js in a sandbox iframe (Chrome's CSP) or in this page (Firefox). */
  createDetector(cascade: ArrayBuffer): Promise<FaceFinder>;
  /** Which emotion model to load (built-in or imported). */
  modelChoice(): Promise<ModelChoice>;
  /** Loading progress, readiness and errors. */
  onStatus(status: Status): void;
}

/** Who sent a message: a tab's content script (tabId) or the extension's own background. */
export interface EngineSender {
  tabId?: number;
}

export interface Engine {
  /** Answers a message meant for the engine; undefined when the message is not for it. */
  handle(message: unknown, sender: EngineSender): Promise<unknown> | undefined;
  status(): Status;
  /** Frees the model and the detector (before another engine replaces this one). */
  dispose(): Promise<void>;
}

/**
 * Runs the engine in an offscreen document (Chrome): the detector in the sandbox iframe, the
 * model choice asked from the service worker, status reported to it by message.
 */
export function startEngine(browser: Browser): Engine {
  const engine = createEngine(browser, {
    createDetector: (cascade) => SandboxDetector.create(browser.runtime.getURL('/opencv.html' as never), cascade),
    modelChoice: async () => {
      // The service worker knows (an offscreen document cannot read extension storage).
      const config = (await browser.runtime.sendMessage({ type: 'faceml/engine-config' }).catch(() => null)) as EngineConfig | null;
      return config?.model ?? { active: 'builtin', custom: null };
    },
    onStatus: (next) =>
      browser.runtime.sendMessage({ type: 'faceml/offscreen-status', ...next } satisfies OffscreenStatus).catch(() => {
        // nobody listening (e.g. the service worker is asleep): the state is also served on request
      }),
  });
  listenForEngineMessages(browser, engine, { acceptBackgroundRequests: true });
  return engine;
}

/**
 * Routes runtime messages to the engine. Only our own extension's contexts; content scripts
 * identify their tab through sender.tab. Requests from the background (image analysis, tab
 * captures) come by message only when the engine lives in another document (Chrome).
 */
export function listenForEngineMessages(browser: Browser, engine: Pick<Engine, 'handle'>, { acceptBackgroundRequests }: { acceptBackgroundRequests: boolean }): void {
  browser.runtime.onMessage.addListener((message: unknown, sender, sendResponse: (r: unknown) => void) => {
    if (sender.id !== browser.runtime.id) return undefined;
    if (!sender.tab && !acceptBackgroundRequests && (isAnalyzeImageRequest(message) || isAnalyzeScreenshotRequest(message))) return undefined;
    const work = engine.handle(message, { tabId: sender.tab?.id });
    if (!work) return undefined;
    work.then(sendResponse, (err: Error) => sendResponse({ ok: false, error: { code: 'INTERNAL', message: err.message } }));
    return true;
  });
}

/** The pipeline and per-video trackers, independent of where it runs. */
export function createEngine(browser: Browser, host: EngineHost): Engine {
  let status: Status = { state: 'loading', progress: 0, detail: 'starting' };
  let modelName = '';
  const report = (next: Status) => {
    status = next;
    host.onStatus(next);
  };

  const pipelineReady: Promise<EmotionPipeline<FaceFinder>> = (async () => {
    const url = (path: string) => browser.runtime.getURL(path as never);
    report({ state: 'loading', progress: 0.1, detail: 'starting TensorFlow.js (wasm)' });
    await initTensorflow({ wasmPath: url('/wasm/') });
    report({ state: 'loading', progress: 0.3, detail: 'loading the emotion model' });
    // Which model: the built-in one or one the user imported (settings page).
    const source = modelSource(await host.modelChoice(), url('/models/emotion/model.json'));
    const metadata = source.custom
      ? source.custom.metadata
      : ((await fetch(url('/models/emotion/metadata.json')).then((r) => r.json()).catch(() => ({}))) as ModelMetadata);
    modelName = source.custom ? `${source.custom.name} (imported)` : `${metadata.name ?? 'faceml-emotion'} (built-in)`;
    const classifier = await EmotionClassifier.load(source.handler, metadata).catch((err: Error) => {
      throw source.custom ? new FaceMLError('MODEL_LOAD_FAILED', `your imported model "${source.custom.name}" failed to load (${err.message}); switch back to the built-in model in settings`) : err;
    });
    report({ state: 'loading', progress: 0.5, detail: 'choosing WebAssembly or WebGL' });
    const probeFace = new Float32Array(INPUT_SIZE * INPUT_SIZE).fill(0.5);
    const backend = await chooseBackend(webglRenderer(), () => classifier.classify(probeFace, 1));
    report({ state: 'loading', progress: 0.6, detail: 'loading the face detector (OpenCV.js)' });
    const cascade = await fetch(url('/models/haarcascade_frontalface_default.xml')).then((r) => {
      if (!r.ok) throw new FaceMLError('DETECTOR_LOAD_FAILED', `face cascade missing (${r.status})`);
      return r.arrayBuffer();
    });
    const detector = await host.createDetector(cascade);
    report({ state: 'ready', progress: 1, detail: `ready (${tf.getBackend()}: ${backend.reason}; model: ${modelName})`, model: modelName, backend: tf.getBackend() });
    return new EmotionPipeline(detector, classifier);
  })();
  pipelineReady.catch((err) => report({ state: 'error', progress: 0, detail: `${(err as FaceMLError).code ?? 'ERROR'}: ${(err as Error).message}` }));

  // For benchmarks and soak tests: tensor count and trackers of this document.
  (globalThis as Record<string, unknown>).__facemlEngine = { memory: () => tf.memory(), trackers: () => trackers.size };

  /** One tracker per tab video; forgotten when the video goes away or after a minute unused. */
  interface TrackerEntry {
    tracker: FaceTracker;
    used: number;
    smoothing: number | undefined;
    /** Frames since the cascade last ran, and the boxes it found then (frame pixels, frame size). */
    sinceDetect: number;
    boxes: Box[];
    frameSize: string;
    /** A cascade run in the background is under way. */
    detecting: boolean;
  }
  const trackers = new Map<string, TrackerEntry>();
  const TRACKER_IDLE_MS = 60_000;
  const trackerFor = (key: string, smoothing: number | undefined): TrackerEntry => {
    const now = Date.now();
    for (const [k, t] of trackers) if (now - t.used > TRACKER_IDLE_MS) trackers.delete(k);
    let entry = trackers.get(key);
    // A changed smoothing setting starts a new tracker (face ids restart; rare, user-initiated).
    if (!entry || entry.smoothing !== smoothing) {
      entry = { tracker: new FaceTracker(smoothing === undefined ? {} : { smoothing }), used: now, smoothing, sinceDetect: 0, boxes: [], frameSize: '', detecting: false };
      trackers.set(key, entry);
    }
    entry.used = now;
    return entry;
  };

  /**
   * The Haar cascade is the slow step (~30 ms a frame here) and faces in a video move little
   * between frames. Once a video's faces are known, every frame is classified at the latest
   * boxes right away, and every DETECT_EVERY-th frame also starts the cascade in the background
   * (in the sandbox iframe) to refresh the boxes for the frames after it: the cascade is off the
   * path from frame to overlay. Without known faces, a frame waits for the cascade.
   */
  const DETECT_EVERY = 3;

  /** Runs the cascade on a frame without holding up its answer; later frames use the new boxes. */
  function refreshBoxes(pipeline: EmotionPipeline<FaceFinder>, entry: TrackerEntry, image: RgbaImage, size: string, detector: Partial<DetectorOptions> | undefined): void {
    entry.detecting = true;
    Promise.resolve(pipeline.detector.detect(toGray(image), detector))
      .then((boxes) => {
        if (entry.frameSize === size) Object.assign(entry, { boxes, sinceDetect: 0 });
      })
      .catch(() => {
        // a failed background run changes nothing; the next one retries
      })
      .finally(() => (entry.detecting = false));
  }

  /**
   * Decodes a frame (optionally a region of it), finds and classifies faces, and follows them
   * with the tracker of that tab's video (null: a still image, no tracking). Boxes come back
   * multiplied by `scale`.
   */
  async function analyze(
    frame: string,
    trackerKey: string | null,
    scale: number,
    crop?: Box,
    options: FrameOptions = {},
    thumbnail = false,
  ): Promise<AnalyzeFrameResponse> {
    const t0 = performance.now();
    const pipeline = await pipelineReady;
    const decoded = await decodeInBrowser(frame);
    const image = crop ? cropRgba(decoded, crop) : decoded;
    const detector = options.minFaceSize ? { minFaceSize: options.minFaceSize } : undefined;
    const entry = trackerKey ? trackerFor(trackerKey, options.smoothing) : null;
    const size = `${image.width}x${image.height}`;
    const reuse = !!entry && entry.boxes.length > 0 && entry.frameSize === size;
    const views = entry?.tracker.nextViews(); // a still image (no tracker): the default, both views
    const result = await pipeline.analyze(image, reuse ? { boxes: entry!.boxes, views } : { detector, views });
    let followed = result.faces.map((f, i) => ({ ...f, faceId: i + 1 }));
    if (entry) {
      if (!reuse) Object.assign(entry, { sinceDetect: 0, boxes: result.faces.map((f) => f.box), frameSize: size });
      else if (++entry.sinceDetect >= DETECT_EVERY && !entry.detecting) refreshBoxes(pipeline, entry, image, size, detector);
      followed = entry.tracker.update(result.faces);
    }
    const faces = followed.map((f) => ({
      faceId: f.faceId,
      box: { x: f.box.x * scale, y: f.box.y * scale, width: f.box.width * scale, height: f.box.height * scale },
      emotion: f.emotion,
      confidence: f.confidence,
      scores: f.scores,
    }));
    return {
      ok: true,
      faces,
      width: image.width * scale,
      height: image.height * scale,
      ms: performance.now() - t0,
      ...(thumbnail ? { thumbnail: await thumbnailOf(image) } : {}),
    };
  }

  const settle = (work: Promise<AnalyzeFrameResponse>): Promise<AnalyzeFrameResponse> =>
    work.catch((err: unknown) => {
      const code = err instanceof FaceMLError ? err.code : 'INTERNAL';
      return { ok: false, error: { code, message: (err as Error)?.message ?? String(err) } } satisfies AnalyzeFrameResponse;
    });

  function handle(message: unknown, sender: EngineSender): Promise<unknown> | undefined {
    if ((message as { type?: string })?.type === 'faceml/engine-status') return Promise.resolve(status);
    if (isVideoRemoved(message) && sender.tabId !== undefined) {
      trackers.delete(`${sender.tabId}:${message.videoId}`);
      return undefined;
    }
    if (isAnalyzeImageRequest(message) && sender.tabId === undefined) {
      // From the background: "Analyze emotions in this image".
      return settle(analyze(message.frame, null, 1, message.crop, {}, message.thumbnail === true));
    }
    if (isAnalyzeScreenshotRequest(message) && sender.tabId === undefined) {
      // From the background: a tab capture for a video whose pixels the page cannot read.
      return settle(analyze(message.frame, `${message.tabId}:${message.videoId}`, 1, message.crop, message.options));
    }
    if (!isAnalyzeFrameRequest(message)) return undefined;
    if (sender.tabId === undefined) return Promise.resolve({ ok: false, error: { code: 'INVALID_ARGUMENT', message: 'frames must come from a tab' } });
    return settle(analyze(message.frame, `${sender.tabId}:${message.videoId}`, message.scale, undefined, message.options));
  }

  return {
    handle,
    status: () => status,
    async dispose() {
      const pipeline = await pipelineReady.catch(() => null);
      pipeline?.classifier.dispose();
      (pipeline?.detector as { dispose?: () => void } | undefined)?.dispose?.();
      trackers.clear();
    },
  };
}
