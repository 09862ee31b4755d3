/**
 * Where the pictures of a page are: every <video> and <canvas> of this document, including those
 * inside open and closed shadow roots (custom player elements, call clients built from web
 * components), and the frames this document embeds. Runs in the content script of each frame.
 */

/** An element FaceML samples frames from. */
export type SourceElement = HTMLVideoElement | HTMLCanvasElement;

/**
 * Opens an element's shadow root, open or closed: `chrome.dom.openOrClosedShadowRoot` in
 * Chrome, `element.openOrClosedShadowRoot` in Firefox, `element.shadowRoot` (open only) elsewhere.
 */
export type ShadowOpener = (el: Element) => ShadowRoot | null;

export function shadowOpener(api: unknown): ShadowOpener {
  const dom = (api as { dom?: { openOrClosedShadowRoot?: (el: Element) => ShadowRoot | null } } | undefined)?.dom;
  return (el) => {
    const firefox = (el as Element & { openOrClosedShadowRoot?: ShadowRoot | null }).openOrClosedShadowRoot;
    if (firefox !== undefined) return firefox;
    if (dom?.openOrClosedShadowRoot) {
      try {
        return dom.openOrClosedShadowRoot(el) ?? null;
      } catch {
        return el.shadowRoot; // not an element the API takes (e.g. from another document)
      }
    }
    return el.shadowRoot;
  };
}

/** What one walk over the document found. */
export interface PageMedia {
  videos: HTMLVideoElement[];
  canvases: HTMLCanvasElement[];
  /** <iframe>/<frame> elements: their documents have their own content script, or none (see frames.ts). */
  frames: HTMLIFrameElement[];
  /** The shadow roots walked, so that callers can watch them for changes. */
  shadowRoots: ShadowRoot[];
}

/** A page cannot make the walk unbounded: at most this many shadow roots deep. */
const MAX_SHADOW_DEPTH = 32;

/** Every video, canvas and frame under `root`, through shadow roots (depth-first, document order). */
export function findMedia(root: Document | ShadowRoot, openShadow: ShadowOpener): PageMedia {
  const found: PageMedia = { videos: [], canvases: [], frames: [], shadowRoots: [] };
  const walk = (node: Document | ShadowRoot, depth: number) => {
    for (const el of node.querySelectorAll('*')) {
      const tag = el.localName;
      if (tag === 'video') found.videos.push(el as HTMLVideoElement);
      else if (tag === 'canvas') found.canvases.push(el as HTMLCanvasElement);
      else if (tag === 'iframe' || tag === 'frame') found.frames.push(el as HTMLIFrameElement);
      if (tag === 'faceml-overlay' || depth >= MAX_SHADOW_DEPTH) continue; // our own overlays hold no media
      const shadow = openShadow(el);
      if (shadow) {
        found.shadowRoots.push(shadow);
        walk(shadow, depth + 1);
      }
    }
  };
  walk(root, 0);
  return found;
}

/** Rescans at most this often: walking a large page through its shadow roots costs milliseconds. */
const RESCAN_MS = 1000;

/**
 * The page's media, rescanned when the DOM changes (MutationObservers on the document and on each
 * shadow root found, since mutations inside a shadow root are not seen from outside) and at
 * most once a second, so that a video added later inside a shadow root is found within a second.
 */
export class MediaFinder {
  private media: PageMedia = { videos: [], canvases: [], frames: [], shadowRoots: [] };
  private scannedAt = -Infinity;
  private dirty = true;
  private readonly observer = new MutationObserver(() => (this.dirty = true));
  private readonly observed = new WeakSet<Node>();

  constructor(
    private readonly doc: Document,
    private readonly openShadow: ShadowOpener,
  ) {}

  /** The media now (a fresh walk when something changed and the last walk is a second old). */
  current(now = performance.now()): PageMedia {
    if (this.dirty && now - this.scannedAt >= RESCAN_MS) {
      this.dirty = false;
      this.scannedAt = now;
      this.media = findMedia(this.doc, this.openShadow);
      for (const root of [this.doc, ...this.media.shadowRoots]) {
        if (this.observed.has(root)) continue;
        this.observed.add(root);
        this.observer.observe(root, { childList: true, subtree: true });
      }
    }
    return {
      videos: this.media.videos.filter((v) => v.isConnected),
      canvases: this.media.canvases.filter((c) => c.isConnected),
      frames: this.media.frames.filter((f) => f.isConnected),
      shadowRoots: this.media.shadowRoots,
    };
  }

  /** Forces a walk at the next call (e.g. when a shadow host appeared before its root was attached). */
  invalidate(): void {
    this.dirty = true;
  }

  stop(): void {
    this.observer.disconnect();
  }
}
