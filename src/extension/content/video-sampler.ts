import type { WxtBrowser as Browser } from 'wxt/browser';
import { translateBox, scaleBox } from '../../core/image';
import { shown, uncovered } from './visibility';
import { DEFAULT_SETTINGS, type Settings } from '../../storage/settings';
import { send } from '../messaging';
import type { FrameFace, FrameOptions, LiveSnapshot, LiveSource, ResponseOf } from '../protocol';
import { FrameGrabber, frameWidthFor, type GrabbedFrame, TRANSPARENT } from './frame-grab';
import { HistoryBuffer } from './history-buffer';
import { MediaFinder, type ShadowOpener, type SourceElement } from './media-sources';
import { contentRect, type DrawnFace, type MediaElement, mediaSize, MediaOverlay, type OverlayLook } from './overlay';
import { after, eachFrame, every } from './timing';

export interface SamplerOptions {
  /** Target analysed frames per second per tab (adapts down when analysis is slower). */
  fps: number;
  /** Opens shadow roots, closed ones too where the browser lets the extension (media-sources.ts). */
  openShadow: ShadowOpener;
  /**
   * Whether this document is the tab's top frame: only there are viewport pixels tab-capture
   * pixels, so only there are cross-origin pictures (videos, canvases, unreached frames)
   * analysed from tab captures.
   */
  topFrame: boolean;
  /** Called when the document's frames change (added, removed, another site): they may need FaceML. */
  onFramesChanged?: () => void;
}

/** Where this sampler's sources sit in the tab (set by the background; see content/main.ts). */
export interface SamplerPlace {
  /** Prefix of source ids, unique in the tab: '' in the top frame, 'f<frameId>.' in others. */
  idPrefix: string;
  /** Added to source numbers in history rows, so that rows of different frames never mix. */
  numberBase: number;
  /** Origins of the tab's frames that run FaceML's content script (they analyse their own media). */
  reachedOrigins: ReadonlySet<string>;
}

type SourceKind = LiveSource['kind'];

interface Tracked {
  id: string;
  /** Source number within the tab, as stored in history rows. */
  no: number;
  kind: SourceKind;
  element: SourceElement | HTMLIFrameElement;
  overlay: MediaOverlay;
  faces: FrameFace[];
  /** 'pixels': read frames directly; 'capture': analysed from tab captures (cross-origin pixels). */
  mode: 'pixels' | 'capture';
  /** The picture the mode was decided for (a video's source): another one decides again. */
  source: unknown;
  /** When the mode was last decided (a capture-mode canvas is given its pixels again later). */
  modeDecidedAt: number;
  /** Where the source is, for the popup ("in a frame from https://x.example"); null: in the page. */
  where: string | null;
}

type Analysis = ResponseOf<'analyzeFrame'>;

/** How often finished seconds go to history. */
const HISTORY_FLUSH_MS = 2000;
/** Videos smaller than this on screen (CSS px) are not analysed. */
const MIN_VIDEO_SIDE = 32;
/** Canvases and frames must be large enough to hold a face worth labelling (CSS px). */
const MIN_CANVAS_SIDE = 64;
const MIN_FRAME_WIDTH = 160;
const MIN_FRAME_HEIGHT = 120;
/** A hidden tab's pace: a round a little more often than once a second, so every second has a row. */
const HIDDEN_ROUND_MS = 700;
/** Frames at least this wide are searched in tiles of LARGE_FRAME_TILE px. */
const LARGE_FRAME_WIDTH = 960;
const LARGE_FRAME_TILE = 200;
/**
 * A face's detector box can be smaller than the face a person sees: BlazeFace frames a turned
 * face (profile, head back) at about 2/3 of its width (the gallery test's screaming profile face,
 * 57 px on screen, got a 38 px box). The detector's floor is lowered by this much so a face of the
 * set on-screen size is not dropped for its box.
 */
const FACE_BOX_SLACK = 0.75;
/** A canvas unchanged for this long is a still picture (a chart, a logo), not a video. */
const CANVAS_STILL_MS = 3000;
/** A capture-mode source is retried with its own pixels this often (the page may have changed it). */
const RECHECK_PIXELS_MS = 5000;

/**
 * Finds the page's videos and canvases (in shadow roots too, and ones added later) and, in the
 * top frame, the frames FaceML cannot run in; grabs frames from the playing, visible ones,
 * sends them to the engine and keeps an overlay on each. Runs in the content script of each
 * frame and in the webcam page. start() and stop() bracket a detection session: stop aborts one
 * signal that ends every timer, animation frame and overlay of the session.
 */
export class VideoSampler {
  private readonly sources = new Map<Element, Tracked>();
  private nextNo = 1;
  private session: AbortController | null = null;
  private finder: MediaFinder | null = null;
  private readonly grabber = new FrameGrabber();
  /** Each canvas's latest picture summary and when it last changed (still canvases are not videos). */
  private readonly canvasChanges = new WeakMap<HTMLCanvasElement, { print: string | null; changedAt: number }>();
  private look: OverlayLook = { style: DEFAULT_SETTINGS.overlayStyle, confidenceThreshold: DEFAULT_SETTINGS.confidenceThreshold };
  private minFaceSize = DEFAULT_SETTINGS.minFaceSize;
  private smoothing = DEFAULT_SETTINGS.smoothing;
  /** This session's history, after earlier sessions' buffers still holding unsaved rows. */
  private readonly buffers: HistoryBuffer[] = [];
  private readonly analyzedAt: number[] = [];
  /** Frame grabbed -> overlay drawn, ms, for the latest analysed frames (benchmarks read it). */
  private readonly latencies: number[] = [];
  private analyzedTotal = 0;
  private readonly options: SamplerOptions;
  private frameSignature = '';
  private place: SamplerPlace = { idPrefix: '', numberBase: 0, reachedOrigins: new Set() };

  constructor(
    private readonly browser: Browser,
    options: Partial<SamplerOptions> = {},
  ) {
    this.options = { fps: DEFAULT_SETTINGS.fps, openShadow: (el) => el.shadowRoot, topFrame: true, ...options };
  }

  /** Applies the user's settings (at start and whenever they change). */
  applySettings(settings: Settings): void {
    this.options.fps = settings.fps;
    this.look = { style: settings.overlayStyle, confidenceThreshold: settings.confidenceThreshold };
    this.minFaceSize = settings.minFaceSize;
    this.smoothing = settings.smoothing;
    for (const t of this.sources.values()) t.overlay.setLook(this.look);
  }

  /** Where this document is in the tab (from the background). */
  setPlace(place: Partial<SamplerPlace>): void {
    this.place = { ...this.place, ...place };
  }

  /** How overlays are drawn now (the settings' style and threshold, as last applied). */
  get overlayLook(): Readonly<typeof this.look> {
    return this.look;
  }

  get running(): boolean {
    return this.session !== null;
  }

  /** Starts a session; `sessionId` joins the tab's session (every frame of a tab writes to one). */
  start(sessionId: string = crypto.randomUUID()): void {
    if (this.session) return;
    const session = new AbortController();
    this.session = session;
    this.finder = new MediaFinder(document, this.options.openShadow);
    this.buffers.push(new HistoryBuffer(this.browser, sessionId));
    every(session.signal, HISTORY_FLUSH_MS, () => void this.flushHistory());
    eachFrame(session.signal, () => {
      for (const { overlay } of this.sources.values()) overlay.render();
    });
    session.signal.addEventListener('abort', () => {
      for (const el of [...this.sources.keys()]) this.forget(el);
      // Canvases that read back transparent get a stream before they are ever tracked.
      this.grabber.releaseExcept();
      this.finder?.stop();
      this.finder = null;
    });
    void this.tick(session.signal);
  }

  stop(): void {
    if (!this.session) return;
    this.session.abort();
    this.session = null;
    void this.flushHistory(true);
  }

  /** Overlay contents by source (the `__faceml.snapshot()` hook). */
  snapshot(): { id: string; kind: SourceKind; mode: Tracked['mode']; faces: DrawnFace[] }[] {
    return [...this.sources.values()].map((t) => ({ id: t.id, kind: t.kind, mode: t.mode, faces: t.overlay.drawn }));
  }

  /** What is detected now, for the popup and side panel. */
  live(): LiveSnapshot {
    const now = performance.now();
    while (this.analyzedAt.length && now - this.analyzedAt[0] > 3000) this.analyzedAt.shift();
    const tracked = [...this.sources.values()];
    return {
      running: this.running,
      videos: tracked.map((t) => ({ id: t.id, kind: t.kind, mode: t.mode, notice: t.overlay.currentNotice, where: t.where })),
      faces: tracked.flatMap((t) => t.faces.map((f) => ({ videoId: t.id, faceId: f.faceId, emotion: f.emotion, confidence: f.confidence, scores: f.scores }))),
      fps: this.analyzedAt.length / 3,
      sessionId: this.buffers.at(-1)?.sessionId ?? null,
      historyError: this.buffers.find((b) => b.error)?.error ?? null,
      background: document.visibilityState !== 'visible',
      blockedFrames: [...new Set(tracked.filter((t) => t.kind === 'frame').map((t) => frameOrigin(t.element as HTMLIFrameElement)!))],
    };
  }

  /** Hides or shows every overlay (while the tab is captured, so labels stay out of the picture). */
  setOverlaysHidden(hidden: boolean): void {
    for (const { overlay } of this.sources.values()) overlay.setHidden(hidden);
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

  /** Canvas streams open now (tests: none may outlive detection). */
  get openCanvasStreams(): number {
    return this.grabber.openStreams;
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

  /** One round over the page's sources, then the next round after an adaptive pause. */
  private async tick(signal: AbortSignal): Promise<void> {
    if (signal.aborted || !this.finder) return;
    const started = performance.now();
    const media = this.finder.current();
    const frames = media.frames.map((f) => frameOrigin(f) ?? '').join(' ');
    if (frames !== this.frameSignature) {
      this.frameSignature = frames;
      this.options.onFramesChanged?.();
    }
    const present: [Element, SourceKind][] = [
      ...media.videos.map((v): [Element, SourceKind] => [v, 'video']),
      ...media.canvases.map((c): [Element, SourceKind] => [c, 'canvas']),
      ...(this.options.topFrame ? media.frames.filter((f) => this.unreached(f)).map((f): [Element, SourceKind] => [f, 'frame']) : []),
    ];
    const keep = new Set(present.map(([el]) => el));
    for (const el of [...this.sources.keys()]) if (!keep.has(el) || !el.isConnected) this.forget(el);
    this.grabber.releaseExcept(keep);
    // In a hidden tab (another tab in front, the call's video in picture-in-picture) sources read
    // from their own pixels go on at a reduced pace (below), so history has no gap; tab captures
    // would show another tab, so those sources wait.
    const hidden = document.visibilityState !== 'visible';
    for (const [el, kind] of present) {
      if (signal.aborted) break;
      if (hidden && (kind === 'frame' || this.sources.get(el)?.mode === 'capture')) continue;
      try {
        if (kind === 'video') await this.analyzeVideo(el as HTMLVideoElement, signal);
        else if (kind === 'canvas') await this.analyzeCanvas(el as HTMLCanvasElement, signal);
        else await this.analyzeFrameElement(el as HTMLIFrameElement, signal);
      } catch (err) {
        // One source's failure (a detached canvas, a page that broke the element) must not stop the rest.
        console.warn('FaceML: frame skipped:', err);
      }
    }
    // Adaptive rate: never ask for more than the engine delivers. Hidden: a round every
    // HIDDEN_ROUND_MS, enough for a history row every second, little work for a tab nobody sees.
    const spent = performance.now() - started;
    const interval = hidden ? HIDDEN_ROUND_MS : 1000 / this.options.fps;
    after(signal, Math.max(interval - spent, spent * 0.25, 10), () => void this.tick(signal));
  }

  /** A cross-origin frame whose document FaceML does not run in: only its pixels on screen can be analysed. */
  private unreached(frame: HTMLIFrameElement): boolean {
    if (frame.contentDocument) return false; // same-origin: our content script runs there
    const origin = frameOrigin(frame);
    return origin !== null && !this.place.reachedOrigins.has(origin);
  }

  private bigEnough(el: Element, minWidth: number, minHeight: number): boolean {
    const rect = el.getBoundingClientRect();
    return rect.width >= minWidth && rect.height >= minHeight && shown(el);
  }

  private trackedFor(element: Tracked['element'], kind: SourceKind): Tracked {
    let tracked = this.sources.get(element);
    if (!tracked) {
      const no = this.nextNo++;
      const where = kind === 'frame' ? `in a frame from ${frameOrigin(element as HTMLIFrameElement)}` : element.getRootNode() instanceof ShadowRoot ? 'in a shadow root' : null;
      tracked = {
        id: `${this.place.idPrefix}${kind === 'video' ? 'v' : kind === 'canvas' ? 'c' : 'f'}${no}`,
        no: this.place.numberBase + no,
        kind,
        element,
        overlay: new MediaOverlay(element),
        faces: [],
        mode: kind === 'frame' ? 'capture' : 'pixels',
        source: null,
        modeDecidedAt: performance.now(),
        where,
      };
      tracked.overlay.setLook(this.look);
      this.sources.set(element, tracked);
    }
    return tracked;
  }

  /** The engine's options for a frame `frameWidth` px wide of a source shown `onScreenWidth` px wide. */
  private frameOptions(frameWidth: number, onScreenWidth: number): FrameOptions {
    // The minimum face size is set in on-screen pixels: the detector gets it in frame pixels.
    const perScreenPixel = onScreenWidth > 0 ? frameWidth / onScreenWidth : 1;
    return {
      minFaceSize: Math.max(8, Math.round(this.minFaceSize * perScreenPixel * FACE_BOX_SLACK)),
      smoothing: this.smoothing,
      // A large frame (a gallery of many small faces) is searched in finer tiles: BlazeFace finds
      // faces down to about a fifth of what it is shown. 200 gives a 1280x720 frame 6x4 tiles of
      // 267x225 (all 16 faces of the gallery test; 256 gave 5x3 tiles of 320x300, where one face
      // scored under the threshold).
      ...(frameWidth >= LARGE_FRAME_WIDTH ? { tileSide: LARGE_FRAME_TILE } : {}),
    };
  }

  private async analyzeVideo(video: HTMLVideoElement, signal: AbortSignal): Promise<void> {
    // A video taken off screen (hidden, emptied, shrunk to a thumbnail) loses its labels and its
    // place in the popup; a paused one keeps them, since its picture is still there.
    if ((!video.srcObject && !video.currentSrc) || !this.bigEnough(video, MIN_VIDEO_SIDE, MIN_VIDEO_SIDE)) {
      this.forget(video);
      return;
    }
    if (video.paused || video.ended || video.readyState < 2 || !video.videoWidth) return;
    const tracked = this.trackedFor(video, 'video');
    // Encrypted (DRM) video cannot be read, and tab captures show it black: say so instead of guessing.
    if ((video as HTMLVideoElement & { mediaKeys?: unknown }).mediaKeys) {
      tracked.faces = [];
      tracked.overlay.showNotice('FaceML: cannot analyze protected video');
      return;
    }
    // A new source (another URL, another stream) may be readable where the old one was not.
    const source = video.srcObject ?? video.currentSrc;
    if (source !== tracked.source) {
      tracked.source = source;
      tracked.mode = 'pixels';
    }
    return this.analyzeSource(video, tracked, signal);
  }

  private async analyzeCanvas(canvas: HTMLCanvasElement, signal: AbortSignal): Promise<void> {
    if (!this.bigEnough(canvas, MIN_CANVAS_SIDE, MIN_CANVAS_SIDE)) {
      this.forget(canvas);
      return;
    }
    if (canvas.width < MIN_CANVAS_SIDE || canvas.height < MIN_CANVAS_SIDE) return;
    const now = performance.now();
    // Only canvases that change are videos: a still one (a chart, a logo) gets no overlay. A
    // tainted canvas cannot be watched: it is analysed from captures while shown, as a
    // cross-origin video is.
    const picture = this.grabber.pictureOf(canvas, this.canvasChanges.get(canvas)?.print === TRANSPARENT);
    const print = this.grabber.fingerprint(picture);
    let seen = this.canvasChanges.get(canvas);
    if (!seen) this.canvasChanges.set(canvas, (seen = { print, changedAt: -Infinity }));
    else if (print !== seen.print) Object.assign(seen, { print, changedAt: now });
    if (print === TRANSPARENT || (print !== null && now - seen.changedAt > CANVAS_STILL_MS)) {
      this.forget(canvas);
      return;
    }
    const tracked = this.trackedFor(canvas, 'canvas');
    // Readable again (the page stopped drawing cross-origin pictures into it): pixels first.
    if (tracked.mode === 'capture' && print !== null && now - tracked.modeDecidedAt > RECHECK_PIXELS_MS) {
      tracked.mode = 'pixels';
      tracked.modeDecidedAt = now;
    }
    return this.analyzeSource(picture, tracked, signal, canvas);
  }

  /** A frame FaceML cannot run in: its on-screen rectangle, from tab captures. */
  private async analyzeFrameElement(frame: HTMLIFrameElement, signal: AbortSignal): Promise<void> {
    if (!this.bigEnough(frame, MIN_FRAME_WIDTH, MIN_FRAME_HEIGHT)) return;
    const tracked = this.trackedFor(frame, 'frame');
    return this.analyzeByCapture(frame, tracked, signal);
  }

  /**
   * Pixels when the page may read them; else (top frame) a tab capture of the source's
   * rectangle. `picture` is what the pixels are read from (`el` itself, or a stream of it).
   */
  private async analyzeSource(picture: SourceElement, tracked: Tracked, signal: AbortSignal, el: SourceElement = picture): Promise<void> {
    if (tracked.mode === 'pixels') {
      const onScreen = contentRect(el).width;
      const width = frameWidthFor(mediaSize(picture).width, onScreen);
      const frame = this.grabber.grab(picture, width);
      if (typeof frame !== 'string') return this.analyzePixels(el, tracked, frame, onScreen, signal);
      // Cross-origin pixels taint the canvas; WebGL ones may read back empty.
      tracked.mode = 'capture';
      tracked.modeDecidedAt = performance.now();
    }
    if (document.visibilityState !== 'visible') return; // a capture now would show another tab
    if (!this.options.topFrame) {
      tracked.faces = [];
      tracked.overlay.showNotice(`FaceML: cannot read this ${tracked.kind} inside a frame`);
      return;
    }
    return this.analyzeByCapture(el, tracked, signal);
  }

  private async analyzePixels(el: SourceElement, tracked: Tracked, frame: GrabbedFrame, onScreenWidth: number, signal: AbortSignal): Promise<void> {
    const options = this.frameOptions(frame.width, onScreenWidth);
    let response = await send(this.browser, 'analyzeFrame', { videoId: tracked.id, frame: frame.url, scale: frame.scale, options });
    if (!response.ok && (response.error.code === 'NO_RECEIVER' || response.error.code === 'ENGINE_UNAVAILABLE')) {
      // Nobody analysed the frame: the engine is gone (crashed or closed). Ask for a new one.
      response = { ok: false, error: { code: 'ENGINE_UNAVAILABLE', message: 'restarting the detection engine...' } };
      await send(this.browser, 'ensureEngine', {});
    }
    if (signal.aborted || this.sources.get(el) !== tracked) return;
    // Boxes come back in the picture's pixels (a canvas's own, or its stream's: the same size).
    const size = mediaSize(el);
    this.show(tracked, response, size.width, size.height, frame.grabbedAt, (faces) => faces);
  }

  /** Analyses the on-screen part of a source from a tab capture (the background paces captures). */
  private async analyzeByCapture(el: MediaElement, tracked: Tracked, signal: AbortSignal): Promise<void> {
    const content = contentRect(el);
    const left = Math.max(0, content.left);
    const top = Math.max(0, content.top);
    const right = Math.min(window.innerWidth, content.right);
    const bottom = Math.min(window.innerHeight, content.bottom);
    if (right - left < MIN_VIDEO_SIDE || bottom - top < MIN_VIDEO_SIDE) return; // scrolled out of view
    const dpr = window.devicePixelRatio || 1;
    const grabbedAt = performance.now();
    const rect = { x: left, y: top, width: right - left, height: bottom - top };
    // A capture shows what is on top: only a source the user sees is analysed from one.
    if (!uncovered(el, rect)) {
      tracked.faces = [];
      tracked.overlay.showNotice(`FaceML: this ${tracked.kind} is covered by other content`);
      return;
    }
    const options = this.frameOptions(rect.width * dpr, rect.width);
    const response = await send(this.browser, 'analyzeCapture', { videoId: tracked.id, rect, devicePixelRatio: dpr, options });
    if (signal.aborted || this.sources.get(el) !== tracked) return;
    // Capture pixels of the visible part -> CSS pixels of the whole picture.
    const toPicture = (faces: FrameFace[]) => faces.map((f) => ({ ...f, box: translateBox(scaleBox(f.box, 1 / dpr), left - content.left, top - content.top) }));
    this.show(tracked, response, content.width, content.height, grabbedAt, toPicture);
  }

  /** Draws an answer (or its error) over the source and records it for history and the popup. */
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

  private forget(el: Element): void {
    const tracked = this.sources.get(el);
    if (!tracked) return;
    tracked.overlay.remove();
    this.sources.delete(el);
    if (el.localName === 'canvas') this.grabber.release(el as HTMLCanvasElement);
    void send(this.browser, 'videoRemoved', { videoId: tracked.id });
  }
}

/** The origin a frame element shows (from its src; null for about:blank and srcdoc frames). */
export function frameOrigin(frame: HTMLIFrameElement): string | null {
  try {
    const origin = new URL(frame.src, location.href).origin;
    return origin === 'null' ? null : origin;
  } catch {
    return null;
  }
}
