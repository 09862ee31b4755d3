import type { WxtBrowser as Browser } from 'wxt/browser';
import { translateBox, scaleBox } from '../../core/image';
import { shown, uncovered } from './visibility';
import { DEFAULT_SETTINGS, type Settings } from '../../storage/settings';
import { send } from '../messaging';
import type { FrameFace, FrameOptions, LiveSnapshot, ResponseOf } from '../protocol';
import { HistoryBuffer } from './history-buffer';
import { contentRect, type DrawnFace, MediaOverlay, type OverlayLook } from './overlay';
import { after, eachFrame, every } from './timing';

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

type Analysis = ResponseOf<'analyzeFrame'>;

/** How often finished seconds go to history. */
const HISTORY_FLUSH_MS = 2000;
/** Videos smaller than this on screen (CSS px) are not analysed. */
const MIN_VIDEO_SIDE = 32;

/**
 * Finds the page's <video> elements (including ones added later), grabs frames from the
 * playing, visible ones, sends them to the engine and keeps an overlay on each. Runs in the
 * content script and in the webcam page. start() and stop() bracket a detection session: stop
 * aborts one signal that ends every timer, animation frame and overlay of the session.
 */
export class VideoSampler {
  private readonly videos = new Map<HTMLVideoElement, Tracked>();
  private nextId = 1;
  private session: AbortController | null = null;
  private readonly canvas = document.createElement('canvas');
  private look: OverlayLook = { style: DEFAULT_SETTINGS.overlayStyle, confidenceThreshold: DEFAULT_SETTINGS.confidenceThreshold };
  private frameOptions: FrameOptions = {};
  /** This session's history, after earlier sessions' buffers still holding unsaved rows. */
  private readonly buffers: HistoryBuffer[] = [];
  private readonly analyzedAt: number[] = [];
  /** Frame grabbed -> overlay drawn, ms, for the latest analysed frames (benchmarks read it). */
  private readonly latencies: number[] = [];
  private analyzedTotal = 0;
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

  /** How overlays are drawn now (the settings' style and threshold, as last applied). */
  get overlayLook(): Readonly<typeof this.look> {
    return this.look;
  }

  get running(): boolean {
    return this.session !== null;
  }

  start(): void {
    if (this.session) return;
    const session = new AbortController();
    this.session = session;
    this.buffers.push(new HistoryBuffer(this.browser, crypto.randomUUID()));
    every(session.signal, HISTORY_FLUSH_MS, () => void this.flushHistory());
    eachFrame(session.signal, () => {
      for (const { overlay } of this.videos.values()) overlay.render();
    });
    session.signal.addEventListener('abort', () => {
      for (const video of [...this.videos.keys()]) this.forget(video);
    });
    void this.tick(session.signal);
  }

  stop(): void {
    if (!this.session) return;
    this.session.abort();
    this.session = null;
    void this.flushHistory(true);
  }

  /** Overlay contents by video (the `__faceml.snapshot()` hook). */
  snapshot(): { id: string; mode: Tracked['mode']; faces: DrawnFace[] }[] {
    return [...this.videos.values()].map((t) => ({ id: t.id, mode: t.mode, faces: t.overlay.drawn }));
  }

  /** What is detected now, for the popup and side panel. */
  live(): LiveSnapshot {
    const now = performance.now();
    while (this.analyzedAt.length && now - this.analyzedAt[0] > 3000) this.analyzedAt.shift();
    const tracked = [...this.videos.values()];
    return {
      running: this.running,
      videos: tracked.map((t) => ({ id: t.id, mode: t.mode, notice: t.overlay.currentNotice })),
      faces: tracked.flatMap((t) => t.faces.map((f) => ({ videoId: t.id, faceId: f.faceId, emotion: f.emotion, confidence: f.confidence, scores: f.scores }))),
      fps: this.analyzedAt.length / 3,
      sessionId: this.buffers.at(-1)?.sessionId ?? null,
      historyError: this.buffers.find((b) => b.error)?.error ?? null,
    };
  }

  /** Hides or shows every overlay (while the tab is captured, so labels stay out of the picture). */
  setOverlaysHidden(hidden: boolean): void {
    for (const { overlay } of this.videos.values()) overlay.setHidden(hidden);
  }

  /** Number of history rows not yet confirmed saved (tests, and a hint in the popup). */
  get unsavedRows(): number {
    return this.buffers.reduce((n, b) => n + b.unsaved, 0);
  }

  /** Sends finished seconds of every session still holding rows; forgets the ones fully saved. */
  async flushHistory(all = false): Promise<void> {
    await Promise.all(this.buffers.map((b) => b.flush(all)));
    const current = this.buffers.at(-1);
    for (let i = this.buffers.length - 2; i >= 0; i--) if (this.buffers[i].unsaved === 0 && this.buffers[i] !== current) this.buffers.splice(i, 1);
  }

  /** Analysed frames and their latencies since the last reset (benchmarks). */
  stats(reset = false): { frames: number; latencies: number[] } {
    const out = { frames: this.analyzedTotal, latencies: this.latencies.slice() };
    if (reset) {
      this.analyzedTotal = 0;
      this.latencies.length = 0;
    }
    return out;
  }

  /** One round over the page's videos, then the next round after an adaptive pause. */
  private async tick(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const started = performance.now();
    const present = new Set(document.querySelectorAll('video'));
    for (const video of [...this.videos.keys()]) if (!present.has(video) || !video.isConnected) this.forget(video);
    if (document.visibilityState === 'visible') {
      for (const video of present) {
        if (signal.aborted) break;
        if (!this.playingAndVisible(video)) continue;
        try {
          await this.analyzeVideo(video, signal);
        } catch (err) {
          // One video's failure (a detached canvas, a page that broke the element) must not stop the rest.
          console.warn('FaceML: frame skipped:', err);
        }
      }
    }
    // Adaptive rate: never ask for more than the engine delivers.
    const spent = performance.now() - started;
    after(signal, Math.max(1000 / this.options.fps - spent, spent * 0.25, 10), () => void this.tick(signal));
  }

  private playingAndVisible(video: HTMLVideoElement): boolean {
    if (video.paused || video.ended || video.readyState < 2 || !video.videoWidth) return false;
    const rect = video.getBoundingClientRect();
    return rect.width >= MIN_VIDEO_SIDE && rect.height >= MIN_VIDEO_SIDE && shown(video);
  }

  private trackedFor(video: HTMLVideoElement): Tracked {
    let tracked = this.videos.get(video);
    if (!tracked) {
      const no = this.nextId++;
      tracked = { id: `v${no}`, no, overlay: new MediaOverlay(video), faces: [], mode: 'pixels' };
      tracked.overlay.setLook(this.look);
      this.videos.set(video, tracked);
    }
    return tracked;
  }

  private async analyzeVideo(video: HTMLVideoElement, signal: AbortSignal): Promise<void> {
    const tracked = this.trackedFor(video);
    // Encrypted (DRM) video cannot be read, and tab captures show it black: say so instead of guessing.
    if ((video as HTMLVideoElement & { mediaKeys?: unknown }).mediaKeys) {
      tracked.faces = [];
      tracked.overlay.showNotice('FaceML: cannot analyze protected video');
      return;
    }
    if (tracked.mode === 'pixels') {
      const frame = this.grabFrame(video);
      if (frame) return this.analyzePixels(video, tracked, frame, signal);
      tracked.mode = 'capture'; // cross-origin video taints the canvas: capture the visible tab instead
    }
    return this.analyzeByCapture(video, tracked, signal);
  }

  /** The video's current frame, downsized, as a JPEG data URL; null when the page may not read it. */
  private grabFrame(video: HTMLVideoElement): { url: string; scale: number; grabbedAt: number } | null {
    const grabbedAt = performance.now();
    const scale = Math.max(1, video.videoWidth / this.options.maxFrameWidth);
    this.canvas.width = Math.round(video.videoWidth / scale);
    this.canvas.height = Math.round(video.videoHeight / scale);
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return null;
    ctx.drawImage(video, 0, 0, this.canvas.width, this.canvas.height);
    try {
      return { url: this.canvas.toDataURL('image/jpeg', 0.85), scale, grabbedAt };
    } catch {
      return null;
    }
  }

  private async analyzePixels(video: HTMLVideoElement, tracked: Tracked, frame: { url: string; scale: number; grabbedAt: number }, signal: AbortSignal): Promise<void> {
    let response = await send(this.browser, 'analyzeFrame', { videoId: tracked.id, frame: frame.url, scale: frame.scale, options: this.frameOptions });
    if (!response.ok && (response.error.code === 'NO_RECEIVER' || response.error.code === 'ENGINE_UNAVAILABLE')) {
      // Nobody analysed the frame: the engine is gone (crashed or closed). Ask for a new one.
      response = { ok: false, error: { code: 'ENGINE_UNAVAILABLE', message: 'restarting the detection engine...' } };
      await send(this.browser, 'ensureEngine', {});
    }
    if (signal.aborted || !this.videos.has(video)) return;
    this.show(tracked, response, video.videoWidth, video.videoHeight, frame.grabbedAt, (faces) => faces);
  }

  /** Analyses the on-screen part of a video from a tab capture (the background paces captures). */
  private async analyzeByCapture(video: HTMLVideoElement, tracked: Tracked, signal: AbortSignal): Promise<void> {
    const content = contentRect(video);
    const left = Math.max(0, content.left);
    const top = Math.max(0, content.top);
    const right = Math.min(window.innerWidth, content.right);
    const bottom = Math.min(window.innerHeight, content.bottom);
    if (right - left < MIN_VIDEO_SIDE || bottom - top < MIN_VIDEO_SIDE) return; // scrolled out of view
    const dpr = window.devicePixelRatio || 1;
    const grabbedAt = performance.now();
    const rect = { x: left, y: top, width: right - left, height: bottom - top };
    // A capture shows what is on top: only a video the user sees is analysed from one.
    if (!uncovered(video, rect)) {
      tracked.faces = [];
      tracked.overlay.showNotice('FaceML: this video is covered by other content');
      return;
    }
    const response = await send(this.browser, 'analyzeCapture', { videoId: tracked.id, rect, devicePixelRatio: dpr, options: this.frameOptions });
    if (signal.aborted || !this.videos.has(video)) return;
    // Capture pixels of the visible part -> CSS pixels of the whole picture.
    const toPicture = (faces: FrameFace[]) => faces.map((f) => ({ ...f, box: translateBox(scaleBox(f.box, 1 / dpr), left - content.left, top - content.top) }));
    this.show(tracked, response, content.width, content.height, grabbedAt, toPicture);
  }

  /** Draws an answer (or its error) over the video and records it for history and the popup. */
  private show(tracked: Tracked, response: Analysis, width: number, height: number, grabbedAt: number, toPicture: (faces: FrameFace[]) => FrameFace[]): void {
    if (!response.ok) {
      tracked.faces = [];
      tracked.overlay.showNotice(`FaceML: ${response.error.message}`);
      return;
    }
    tracked.overlay.show(toPicture(response.faces), width, height);
    tracked.faces = response.faces;
    this.analyzedTotal++;
    this.latencies.push(performance.now() - grabbedAt);
    if (this.latencies.length > 5000) this.latencies.splice(0, this.latencies.length - 5000);
    this.analyzedAt.push(performance.now());
    const now = Date.now();
    const history = this.buffers.at(-1);
    for (const f of response.faces) history?.add(tracked.no, f.faceId, f.scores, now);
  }

  private forget(video: HTMLVideoElement): void {
    const tracked = this.videos.get(video);
    if (!tracked) return;
    tracked.overlay.remove();
    this.videos.delete(video);
    void send(this.browser, 'videoRemoved', { videoId: tracked.id });
  }
}
