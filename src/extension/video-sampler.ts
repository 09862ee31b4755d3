import type { WxtBrowser as Browser } from 'wxt/browser';
import type { AnalyzeFrameRequest, AnalyzeFrameResponse } from './messages';
import { VideoOverlay } from './overlay';

export interface SamplerOptions {
  /** Target analysed frames per second per tab (adapts down when analysis is slower). */
  fps: number;
  /** Frames are downsized to at most this width before they are sent. */
  maxFrameWidth: number;
}

interface Tracked {
  id: string;
  overlay: VideoOverlay;
}

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

  constructor(
    private readonly browser: Browser,
    private readonly options: SamplerOptions = { fps: 5, maxFrameWidth: 480 },
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.tick();
    const follow = () => {
      for (const { overlay } of this.videos.values()) overlay.render();
      if (this.running) this.raf = requestAnimationFrame(follow);
    };
    this.raf = requestAnimationFrame(follow);
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    cancelAnimationFrame(this.raf);
    for (const [video] of this.videos) this.forget(video);
  }

  /** Overlay contents by video, for tests. */
  snapshot(): { id: string; faces: { emotion: string; faceId: number }[] }[] {
    return [...this.videos.values()].map((t) => ({ id: t.id, faces: t.overlay.drawn }));
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
        await this.analyse(video);
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
      tracked = { id: `v${this.nextId++}`, overlay: new VideoOverlay(video) };
      this.videos.set(video, tracked);
    }
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
      // Cross-origin video taints the canvas. (Capture fallback: not implemented yet.)
      tracked.overlay.showNotice('FaceML: cannot read this video (cross-origin)');
      return;
    }
    const request: AnalyzeFrameRequest = { type: 'faceml/analyze-frame', videoId: tracked.id, frame, scale };
    let response: AnalyzeFrameResponse | undefined;
    try {
      response = await this.browser.runtime.sendMessage(request);
    } catch (err) {
      response = { ok: false, error: { code: 'ENGINE_UNAVAILABLE', message: (err as Error).message } };
    }
    if (!this.running || !this.videos.has(video)) return;
    if (response?.ok) tracked.overlay.show(response.faces, video.videoWidth, video.videoHeight);
    else tracked.overlay.showNotice(`FaceML: ${response?.error.message ?? 'no answer from the engine'}`);
  }
}
