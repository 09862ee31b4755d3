import type { WxtBrowser as Browser } from 'wxt/browser';
import { cropRgba, scaleBox, type Box, type RgbaImage } from '../../core/image';
import type { EmotionPipeline, FaceFinder } from '../../core/pipeline';
import type { TrackedFace } from '../../core/tracking';
import { DEFAULT_SETTINGS } from '../../storage/settings';
import { listen, send, type Handlers } from '../messaging';
import type { EngineStatus, FrameAnalysis, FrameFace } from '../protocol';
import { decodeInBrowser, thumbnailOf } from './browser-image';
import { loadPipeline, type EngineHost } from './load-pipeline';
import { SandboxDetector } from './sandbox-detector';
import { VideoStreams } from './video-streams';

export type { EngineHost } from './load-pipeline';

/** The messages the engine answers. */
export type EngineMessage = 'analyzeFrame' | 'analyzeScreenshot' | 'analyzeImage' | 'videoRemoved' | 'engineStatus';

export interface Engine {
  /** The engine's handler table (messaging.ts): routed by message in Chrome, called directly in Firefox. */
  handlers: Handlers<EngineMessage>;
  status(): EngineStatus;
  /** Frees the model and the detector (before another engine replaces this one). */
  dispose(): Promise<void>;
  /** Streams followed now (benchmarks and soak tests). */
  streams(): number;
}

/**
 * The offscreen document's job (Chrome): the engine, with the detector in the sandbox iframe, the
 * model choice asked from the service worker, and status reported to it by message.
 */
export function startOffscreenEngine(browser: Browser): Engine {
  const engine = createEngine(browser, {
    createHaarDetector: (cascade) => SandboxDetector.create(browser.runtime.getURL('/opencv.html' as never), cascade),
    engineConfig: async () => {
      // The service worker knows (an offscreen document cannot read extension storage).
      const config = await send(browser, 'engineConfig', {});
      return config.ok ? { model: config.model, detector: config.detector } : { model: { active: 'builtin', custom: null }, detector: DEFAULT_SETTINGS.detector };
    },
    // Nobody listening (the service worker asleep) is fine: the state is also served on request.
    onStatus: (next) => void send(browser, 'engineStatusChanged', next),
  });
  listen(browser, engine.handlers);
  return engine;
}

/** The pipeline and one stream per tab video, independent of where it runs. */
export function createEngine(browser: Browser, host: EngineHost): Engine {
  let status: EngineStatus = { state: 'loading', progress: 0, detail: 'starting' };
  const report = (next: EngineStatus) => {
    status = next;
    host.onStatus(next);
  };
  const ready = loadPipeline(browser, host, report);
  ready.catch((err) => report({ state: 'error', progress: 0, detail: `${err?.code ?? 'ERROR'}: ${err?.message ?? err}` }));
  const streams = new VideoStreams();

  /** Decodes a frame or image and crops it to the region asked for. */
  async function pixels(frame: string, crop?: Box): Promise<{ pipeline: EmotionPipeline<FaceFinder>; image: RgbaImage; t0: number }> {
    const t0 = performance.now();
    const pipeline = await ready;
    const decoded = await decodeInBrowser(frame);
    return { pipeline, image: crop ? cropRgba(decoded, crop) : decoded, t0 };
  }

  /** The answer: faces with boxes multiplied by `scale` (frame pixels back to the video's). */
  const answer = (faces: TrackedFace[], image: RgbaImage, scale: number, t0: number): { ok: true } & FrameAnalysis => ({
    ok: true,
    faces: faces.map((f): FrameFace => ({ faceId: f.faceId, box: scaleBox(f.box, scale), emotion: f.emotion, confidence: f.confidence, scores: f.scores })),
    width: image.width * scale,
    height: image.height * scale,
    ms: performance.now() - t0,
  });

  const handlers: Handlers<EngineMessage> = {
    // A content script's (or the webcam page's) video frame: that tab video's stream.
    async analyzeFrame({ videoId, frame, scale, options }, sender) {
      if (sender.tab?.id === undefined) return { ok: false, error: { code: 'INVALID_ARGUMENT', message: 'frames must come from a tab' } };
      const { pipeline, image, t0 } = await pixels(frame);
      const result = await streams.streamFor(pipeline, sender.tab.id, videoId, options).analyze(image, performance.now());
      return answer(result.faces, image, scale, t0);
    },
    // From the background: a tab capture for a video whose pixels the page cannot read.
    async analyzeScreenshot({ tabId, videoId, frame, crop, options }) {
      const { pipeline, image, t0 } = await pixels(frame, crop);
      const result = await streams.streamFor(pipeline, tabId, videoId, options).analyze(image, performance.now());
      return answer(result.faces, image, 1, t0);
    },
    // From the background: "Analyze emotions in this image" (a still: both views, no tracking).
    async analyzeImage({ frame, crop, thumbnail }) {
      const { pipeline, image, t0 } = await pixels(frame, crop);
      const result = await pipeline.analyze(image);
      const faces = result.faces.map((f, i) => ({ ...f, faceId: i + 1 }));
      return { ...answer(faces, image, 1, t0), ...(thumbnail ? { thumbnail: await thumbnailOf(image) } : {}) };
    },
    videoRemoved({ videoId }, sender) {
      if (sender.tab?.id !== undefined) streams.forget(sender.tab.id, videoId);
      return { ok: true };
    },
    engineStatus: () => ({ ok: true, ...status }),
  };

  return {
    handlers,
    status: () => status,
    streams: () => streams.size,
    async dispose() {
      const pipeline = await ready.catch(() => null);
      pipeline?.classifier.dispose();
      (pipeline?.detector as { dispose?: () => void } | undefined)?.dispose?.();
      streams.clear();
    },
  };
}
