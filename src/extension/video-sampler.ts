import type { WxtBrowser as Browser } from 'wxt/browser';
import { SecondAggregator } from '../storage/aggregate';
import type { SampleRow } from '../storage/schema';
import { DEFAULT_SETTINGS, type Settings } from '../storage/settings';
import type {
  AnalyzeCaptureRequest,
  AnalyzeFrameRequest,
  AnalyzeFrameResponse,
  FrameFace,
  FrameOptions,
  HistorySamples,
  HistorySamplesResponse,
  LiveSnapshot,
} from './messages';
import { contentRect, type DrawnFace, MediaOverlay, type OverlayLook } from './overlay';

export interface SamplerOptions {
  /** Target analysed frames per second per tab (adapts down when analysis is slower). */
  fps: number;
  /** Frames are downsized to at most this width before they are sent. */
  maxFrameWidth: number;
}

interface Tracked {
  id: string;
  /** Video number within this page, as stored in history rows. */
  no: number;
  overlay: MediaOverlay;
  faces: FrameFace[];
  /** 'pixels': read frames directly; 'capture': cross-origin video, analysed from tab captures. */
  mode: 'pixels' | 'capture';
}

const CAPTURE_INTERVAL_MS = 540;
/** How often finished seconds go to history, and how many unsaved rows are kept while it fails. */
const HISTORY_FLUSH_MS = 2000;
const MAX_PENDING_ROWS = 20_000;
const HISTORY_SEND_TIMEOUT_MS = 10_000;
const nextFrame = () => new Promise<void>((r) => requestAnimationFrame(() => r()));

/**
 * Finds the page's <video> elements (including ones added later), grabs frames from the
 * playing, visible ones, sends them to the engine and keeps an overlay on each.
 */
export class VideoSampler {
  private readonly videos = new Map<HTMLVideoElement, Tracked>();
  private nextId = 1;
  private running = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private raf = 0;
  private readonly canvas = document.createElement('canvas');
  private lastCapture = 0;
  private look: OverlayLook = { style: DEFAULT_SETTINGS.overlayStyle, confidenceThreshold: DEFAULT_SETTINGS.confidenceThreshold };
  private frameOptions: FrameOptions = {};
  private sessionId: string | null = null;
  private aggregator = new SecondAggregator();
  private pendingRows: SampleRow[] = [];
  private flushTimer: ReturnType<typeof setInterval> | undefined;
  private flushing: Promise<void> | null = null;
  private readonly analysedAt: number[] = [];
  private historyError: string | null = null;
  /** Frame grabbed -> overlay drawn, ms, for the latest analysed frames (benchmarks read it). */
  private readonly latencies: number[] = [];
  private analysedTotal = 0;
  private readonly options: SamplerOptions;

  constructor(
    private readonly browser: Browser,
    options: Partial<SamplerOptions> = {},
  ) {
    this.options = { fps: DEFAULT_SETTINGS.fps, maxFrameWidth: 480, ...options };
  }

  /** Applies the user's settings (at start and whenever they change). */
  applySettings(settings: Settings): void {
    this.options.fps = settings.fps;
    this.look = { style: settings.overlayStyle, confidenceThreshold: settings.confidenceThreshold };
    this.frameOptions = { minFaceSize: settings.minFaceSize, smoothing: settings.smoothing };
    for (const t of this.videos.values()) t.overlay.setLook(this.look);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.sessionId = crypto.randomUUID();
    this.aggregator = new SecondAggregator();
    this.flushTimer = setInterval(() => void this.flushHistory(), HISTORY_FLUSH_MS);
    this.tick();
    const follow = () => {
      for (const { overlay } of this.videos.values()) overlay.render();
      if (this.running) this.raf = requestAnimationFrame(follow);
    };
    this.raf = requestAnimationFrame(follow);
  }

  stop(): void {
    if (!this.running) return;
    this.running = false;
    clearTimeout(this.timer);
    clearInterval(this.flushTimer);
    cancelAnimationFrame(this.raf);
    for (const [video] of this.videos) this.forget(video);
    void this.flushHistory(true);
  }

  /** Overlay contents by video, for tests. */
  snapshot(): { id: string; mode: Tracked['mode']; faces: DrawnFace[] }[] {
    return [...this.videos.values()].map((t) => ({ id: t.id, mode: t.mode, faces: t.overlay.drawn }));
  }

  /** What is detected now, for the popup and side panel. */
  live(): LiveSnapshot {
    const now = performance.now();
    while (this.analysedAt.length && now - this.analysedAt[0] > 3000) this.analysedAt.shift();
    const tracked = [...this.videos.values()];
    return {
      running: this.running,
      videos: tracked.map((t) => ({ id: t.id, mode: t.mode, notice: t.overlay.currentNotice })),
      faces: tracked.flatMap((t) => t.faces.map((f) => ({ videoId: t.id, faceId: f.faceId, emotion: f.emotion, confidence: f.confidence, scores: f.scores }))),
      fps: this.analysedAt.length / 3,
      sessionId: this.sessionId,
      historyError: this.historyError,
    };
  }

  /** Number of history rows not yet confirmed saved (tests, and a hint in the popup). */
  get unsavedRows(): number {
    return this.pendingRows.length;
  }

  /**
   * Sends finished seconds to the service worker for history. Rows stay here until it answers
   * ok (storage full, worker restarting): nothing reported is dropped silently.
   */
  flushHistory(all = false): Promise<void> {
    if (this.flushing) return this.flushing;
    // Not `this.flushing ??= (async () => { ... finally { this.flushing = null } })()`: when the
    // body returns without awaiting (nothing to send), its finally runs before the assignment,
    // which then keeps a settled promise forever and no flush ever runs again.
    const run = this.sendHistory(all);
    this.flushing = run;
    void run.finally(() => {
      if (this.flushing === run) this.flushing = null;
    });
    return run;
  }

  /** Analysed frames and their latencies since the last reset (benchmarks). */
  stats(reset = false): { frames: number; latencies: number[] } {
    const out = { frames: this.analysedTotal, latencies: this.latencies.slice() };
    if (reset) {
      this.analysedTotal = 0;
      this.latencies.length = 0;
    }
    return out;
  }

  private async sendHistory(all: boolean): Promise<void> {
    this.pendingRows.push(...this.aggregator.take(Date.now(), all));
    if (this.pendingRows.length > MAX_PENDING_ROWS) this.pendingRows.splice(0, this.pendingRows.length - MAX_PENDING_ROWS);
    if (!this.pendingRows.length || !this.sessionId) return;
    const rows = this.pendingRows.slice();
    const message: HistorySamples = { type: 'faceml/history-samples', sessionId: this.sessionId, rows };
    // Bounded wait: a send that never settles must not stop later flushes.
    const answer: HistorySamplesResponse | undefined = await Promise.race([
      this.browser.runtime.sendMessage(message).catch(() => undefined),
      new Promise<undefined>((r) => setTimeout(() => r(undefined), HISTORY_SEND_TIMEOUT_MS)),
    ]);
    if (answer?.ok) {
      this.pendingRows.splice(0, rows.length);
      this.historyError = null;
    } else if (answer) {
      this.historyError = answer.error.message;
    }
  }

  private record(tracked: Tracked, faces: FrameFace[], grabbedAt: number): void {
    tracked.faces = faces;
    this.analysedTotal++;
    this.latencies.push(performance.now() - grabbedAt);
    if (this.latencies.length > 5000) this.latencies.splice(0, this.latencies.length - 5000);
    this.analysedAt.push(performance.now());
    const now = Date.now();
    for (const f of faces) this.aggregator.add(tracked.no, f.faceId, f.scores, now);
  }

  private forget(video: HTMLVideoElement): void {
    const tracked = this.videos.get(video);
    if (!tracked) return;
    tracked.overlay.remove();
    this.videos.delete(video);
    this.browser.runtime.sendMessage({ type: 'faceml/video-removed', videoId: tracked.id }).catch(() => {});
  }

  private async tick(): Promise<void> {
    if (!this.running) return;
    const started = performance.now();
    const present = new Set(document.querySelectorAll('video'));
    for (const video of [...this.videos.keys()]) if (!present.has(video) || !video.isConnected) this.forget(video);
    if (document.visibilityState === 'visible') {
      for (const video of present) {
        if (!this.running) break;
        if (video.paused || video.ended || video.readyState < 2 || !video.videoWidth) continue;
        const rect = video.getBoundingClientRect();
        if (rect.width < 32 || rect.height < 32) continue;
        try {
          await this.analyse(video);
        } catch (err) {
          // One video's failure (a detached canvas, a page that broke the element) must not stop the rest.
          console.warn('FaceML: frame skipped:', err);
        }
      }
    }
    // Adaptive rate: never ask for more than the engine delivers.
    const spent = performance.now() - started;
    const delay = Math.max(1000 / this.options.fps - spent, spent * 0.25, 10);
    this.timer = setTimeout(() => this.tick(), delay);
  }

  private async analyse(video: HTMLVideoElement): Promise<void> {
    let tracked = this.videos.get(video);
    if (!tracked) {
      const no = this.nextId++;
      tracked = { id: `v${no}`, no, overlay: new MediaOverlay(video), faces: [], mode: 'pixels' };
      tracked.overlay.setLook(this.look);
      this.videos.set(video, tracked);
    }
    // Encrypted (DRM) video cannot be read, and tab captures show it black: say so instead of guessing.
    if ((video as HTMLVideoElement & { mediaKeys?: unknown }).mediaKeys) {
      tracked.faces = [];
      tracked.overlay.showNotice('FaceML: cannot analyse protected video');
      return;
    }
    if (tracked.mode === 'capture') return this.analyseByCapture(video, tracked);
    const grabbedAt = performance.now();
    const scale = Math.max(1, video.videoWidth / this.options.maxFrameWidth);
    this.canvas.width = Math.round(video.videoWidth / scale);
    this.canvas.height = Math.round(video.videoHeight / scale);
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return;
    ctx.drawImage(video, 0, 0, this.canvas.width, this.canvas.height);
    let frame: string;
    try {
      frame = this.canvas.toDataURL('image/jpeg', 0.85);
    } catch {
      // Cross-origin video taints the canvas: fall back to capturing the visible tab.
      tracked.mode = 'capture';
      return this.analyseByCapture(video, tracked);
    }
    const request: AnalyzeFrameRequest = { type: 'faceml/analyze-frame', videoId: tracked.id, frame, scale, options: this.frameOptions };
    let response = await this.ask(request);
    if (!response.ok && response.error.code === 'ENGINE_UNAVAILABLE') {
      // Nobody analysed the frame: the engine is gone (crashed or closed). Ask for a new one.
      response = { ok: false, error: { code: 'ENGINE_UNAVAILABLE', message: 'restarting the detection engine...' } };
      await this.browser.runtime.sendMessage({ type: 'faceml/ensure-engine' }).catch(() => {});
    }
    if (!this.running || !this.videos.has(video)) return;
    if (response.ok) {
      tracked.overlay.show(response.faces, video.videoWidth, video.videoHeight);
      this.record(tracked, response.faces, grabbedAt);
    } else {
      tracked.faces = [];
      tracked.overlay.showNotice(`FaceML: ${response.error.message}`);
    }
  }

  /** Sends a request for analysis; no answer or a failed send becomes an ENGINE_UNAVAILABLE result. */
  private async ask(request: AnalyzeFrameRequest | AnalyzeCaptureRequest): Promise<AnalyzeFrameResponse> {
    try {
      const response: AnalyzeFrameResponse | undefined = await this.browser.runtime.sendMessage(request);
      return response ?? { ok: false, error: { code: 'ENGINE_UNAVAILABLE', message: 'no answer from the engine' } };
    } catch (err) {
      return { ok: false, error: { code: 'ENGINE_UNAVAILABLE', message: (err as Error).message } };
    }
  }

  /** Analyses the on-screen part of a video from a tab capture (at most ~2 per second). */
  private async analyseByCapture(video: HTMLVideoElement, tracked: Tracked): Promise<void> {
    const content = contentRect(video);
    const left = Math.max(0, content.left);
    const top = Math.max(0, content.top);
    const right = Math.min(window.innerWidth, content.right);
    const bottom = Math.min(window.innerHeight, content.bottom);
    if (right - left < 32 || bottom - top < 32) return; // scrolled out of view
    const dpr = window.devicePixelRatio || 1;
    const request: AnalyzeCaptureRequest = {
      type: 'faceml/analyze-capture',
      videoId: tracked.id,
      rect: { x: left, y: top, width: right - left, height: bottom - top },
      devicePixelRatio: dpr,
      options: this.frameOptions,
    };
    // Pace captures here (Chrome allows ~2 per second) so the overlay is hidden only briefly.
    const wait = this.lastCapture + CAPTURE_INTERVAL_MS - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    this.lastCapture = performance.now();
    tracked.overlay.setHidden(true);
    const grabbedAt = performance.now();
    await nextFrame();
    await nextFrame();
    let response: AnalyzeFrameResponse;
    try {
      response = await this.ask(request);
    } finally {
      tracked.overlay.setHidden(false);
    }
    if (!this.running || !this.videos.has(video)) return;
    if (!response.ok) {
      tracked.faces = [];
      tracked.overlay.showNotice(`FaceML: ${response.error.message}`);
      return;
    }
    // Capture pixels of the visible part -> CSS pixels of the whole picture.
    const faces: FrameFace[] = response.faces.map((f) => ({
      ...f,
      box: { x: left - content.left + f.box.x / dpr, y: top - content.top + f.box.y / dpr, width: f.box.width / dpr, height: f.box.height / dpr },
    }));
    tracked.overlay.show(faces, content.width, content.height);
    this.record(tracked, response.faces, grabbedAt);
  }
}
