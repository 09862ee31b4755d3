import { mediaSize } from './overlay';
import type { SourceElement } from './media-sources';

/** A frame ready for the engine: a JPEG data URL and the scale back to the source's pixels. */
export interface GrabbedFrame {
  url: string;
  /** The frame's width in pixels. */
  width: number;
  scale: number;
  grabbedAt: number;
}

/** Why no frame: the page may not read the pixels (cross-origin), or no 2D context could be had. */
export type GrabFailure = 'tainted' | 'blank';

/**
 * Frames are sent at the largest of these widths that the source fills on screen (never above
 * its own width): a video shown large (a gallery of many small faces, a screen share) is sent
 * large enough that its faces keep about their on-screen size for the detector, while a call
 * tile of a few hundred pixels costs what it always did (480: the plain-video frame rate in
 * `npm run bench` depends on it).
 */
const FRAME_WIDTHS = [480, 960, 1280];

export function frameWidthFor(intrinsicWidth: number, onScreenWidth: number): number {
  const wanted = [...FRAME_WIDTHS].reverse().find((w) => w <= onScreenWidth) ?? FRAME_WIDTHS[0];
  return Math.min(intrinsicWidth, wanted);
}

/** A fingerprint of a picture that reads back fully transparent. */
export const TRANSPARENT = 'transparent';

/** Side of the thumbnail a canvas's changes are watched on. */
const FINGERPRINT_SIDE = 16;

/**
 * Reads pixels out of videos and canvases, on canvases of its own (never calling getContext on
 * a page's canvas: that would give it a context the page did not ask for).
 */
export class FrameGrabber {
  private readonly canvas = document.createElement('canvas');
  private readonly thumb = document.createElement('canvas');
  /** Canvases read through a stream of what they present (see pictureOf); released by the sampler. */
  private readonly streams = new Map<HTMLCanvasElement, HTMLVideoElement>();

  /**
   * What to read a canvas's picture from. A WebGL canvas without preserveDrawingBuffer reads
   * back empty outside the page's own animation frame, but its captureStream() carries every
   * frame it presents: such a canvas (once it read back transparent) is read from a detached,
   * muted video playing that stream. The page sees nothing of this (no element, no event).
   */
  pictureOf(canvas: HTMLCanvasElement, readsTransparent: boolean): SourceElement {
    let video = this.streams.get(canvas);
    if (!video && readsTransparent) {
      try {
        video = Object.assign(document.createElement('video'), { muted: true, playsInline: true });
        video.srcObject = canvas.captureStream();
        void video.play().catch(() => undefined);
        this.streams.set(canvas, video);
      } catch {
        return canvas; // a tainted canvas has no stream: tab captures then
      }
    }
    return video && video.readyState >= 2 && video.videoWidth > 0 ? video : canvas;
  }

  /** Canvases read through a stream now (tests). */
  get openStreams(): number {
    return this.streams.size;
  }

  /** Stops the streams of every canvas not in `keep` (gone from the page; all when detection stops). */
  releaseExcept(keep: ReadonlySet<Element> = new Set()): void {
    for (const canvas of [...this.streams.keys()]) if (!keep.has(canvas)) this.release(canvas);
  }

  /** Stops the stream a canvas was read through (it went away, or detection stopped). */
  release(canvas: HTMLCanvasElement): void {
    const video = this.streams.get(canvas);
    if (!video) return;
    (video.srcObject as MediaStream | null)?.getTracks().forEach((t) => t.stop());
    video.srcObject = null;
    this.streams.delete(canvas);
  }
  /** The source's current picture at `width` px wide, as JPEG; or why it cannot be read. */
  grab(source: SourceElement, width: number): GrabbedFrame | GrabFailure {
    const grabbedAt = performance.now();
    const size = mediaSize(source);
    const scale = Math.max(1, size.width / width);
    this.canvas.width = Math.max(1, Math.round(size.width / scale));
    this.canvas.height = Math.max(1, Math.round(size.height / scale));
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return 'blank';
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    ctx.drawImage(source, 0, 0, this.canvas.width, this.canvas.height);
    try {
      // A canvas that reads back transparent never gets here: its fingerprint (TRANSPARENT) is
      // checked first (VideoSampler.analyzeCanvas).
      return { url: this.canvas.toDataURL('image/jpeg', 0.85), width: this.canvas.width, scale, grabbedAt };
    } catch {
      return 'tainted';
    }
  }

  /**
   * A small summary of the source's picture, to tell a canvas that changes (a call, a game) from
   * one that does not (a chart): null when it cannot be read.
   */
  fingerprint(source: SourceElement): string | null {
    this.thumb.width = this.thumb.height = FINGERPRINT_SIDE;
    const ctx = this.thumb.getContext('2d', { willReadFrequently: true });
    if (!ctx) return null;
    ctx.clearRect(0, 0, FINGERPRINT_SIDE, FINGERPRINT_SIDE);
    try {
      ctx.drawImage(source, 0, 0, FINGERPRINT_SIDE, FINGERPRINT_SIDE);
      const data = ctx.getImageData(0, 0, FINGERPRINT_SIDE, FINGERPRINT_SIDE).data;
      if (data.every((v, i) => i % 4 !== 3 || v === 0)) return TRANSPARENT;
      // Coarse (4 bits a channel): JPEG-like noise in a still picture is not change.
      let out = '';
      for (let i = 0; i < data.length; i++) out += (data[i] >> 4).toString(16);
      return out;
    } catch {
      return null;
    }
  }
}
