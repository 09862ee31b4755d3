import type { Box } from '../../core/image';
import { LABELS } from '../../core/labels';
import type { OverlayStyle } from '../../storage/settings';
import { EMOTION_COLOR, EMOTION_EMOJI, percent, UNCERTAIN_LABEL } from '../emotion-style';
import type { FrameFace } from '../protocol';

export interface OverlayLook {
  style: OverlayStyle;
  /** Faces below this confidence are labelled "uncertain". */
  confidenceThreshold: number;
}

/** What an overlay can sit over: a video, an image, a canvas, or a frame analysed from captures. */
export type MediaElement = HTMLVideoElement | HTMLImageElement | HTMLCanvasElement | HTMLIFrameElement;

export interface DrawnFace {
  emotion: string;
  faceId: number;
  /** The label as drawn ("2 · happy 81%"). */
  text: string;
  /** An image result's opened face: its seven scores as drawn ("happy 81%", ...). */
  detail?: string[];
  /** Where the face's label is on screen (a button on image results). */
  labelRect: Box | null;
  /** The face's box on screen (viewport px); null before it is first drawn. */
  rect: Box | null;
  /** The face's box in the analysed frame's pixels (as the engine found it, before any mirroring). */
  box: Box;
}

/**
 * Whether the element is shown mirrored (a negative horizontal scale in its transform), as
 * self-views are (FaceML's webcam page, Meet's own tile): boxes found in the unmirrored frame
 * are then drawn at their mirrored place.
 */
export function isMirrored(el: Element): boolean {
  const transform = getComputedStyle(el).transform;
  if (!transform || transform === 'none') return false;
  const m = new DOMMatrixReadOnly(transform);
  return m.a < 0;
}

/**
 * Intrinsic size of a video frame, image or canvas bitmap; a frame's is its content box in CSS
 * px. Tag names, not instanceof: an element of a same-origin child frame has that frame's classes.
 */
export function mediaSize(el: MediaElement): { width: number; height: number } {
  switch (el.localName) {
    case 'video':
      return { width: (el as HTMLVideoElement).videoWidth, height: (el as HTMLVideoElement).videoHeight };
    case 'img':
      return { width: (el as HTMLImageElement).naturalWidth, height: (el as HTMLImageElement).naturalHeight };
    case 'canvas':
      return { width: (el as HTMLCanvasElement).width, height: (el as HTMLCanvasElement).height };
    default:
      return { width: el.clientWidth, height: el.clientHeight };
  }
}

/** The rectangle where a video's, image's or canvas's picture is actually drawn, honouring object-fit. */
export function contentRect(el: MediaElement): DOMRect {
  const box = el.getBoundingClientRect();
  // A frame's document is drawn inside its borders (and padding), unscaled.
  if (el.localName === 'iframe' || el.localName === 'frame') return new DOMRect(box.left + el.clientLeft, box.top + el.clientTop, el.clientWidth, el.clientHeight);
  const { width: vw, height: vh } = mediaSize(el);
  if (!vw || !vh) return box;
  const fit = getComputedStyle(el).objectFit || (el.localName === 'video' ? 'contain' : 'fill');
  let scaleX = box.width / vw;
  let scaleY = box.height / vh;
  if (fit === 'contain' || fit === 'scale-down') scaleX = scaleY = Math.min(scaleX, scaleY, fit === 'scale-down' ? 1 : Infinity);
  else if (fit === 'cover') scaleX = scaleY = Math.max(scaleX, scaleY);
  else if (fit === 'none') scaleX = scaleY = 1;
  const width = vw * scaleX;
  const height = vh * scaleY;
  return new DOMRect(box.left + (box.width - width) / 2, box.top + (box.height - height) / 2, width, height);
}

const STYLE = `
:host { all: initial; }
.layer { position: fixed; pointer-events: none; overflow: hidden; z-index: 2147483646; }
.face { position: absolute; box-sizing: border-box; border: 2px solid var(--c, #2dd4bf); border-radius: 4px; }
.face.no-box { border-color: transparent; }
.emoji { font-size: 22px; line-height: 1; background: none; padding: 0; }
.label { position: absolute; left: -2px; bottom: 100%; margin-bottom: 2px; white-space: nowrap;
  font: 600 12px/1.4 system-ui, sans-serif; color: #fff; background: rgba(15, 23, 42, .85);
  padding: 1px 6px; border-radius: 3px; }
.notice { position: absolute; left: 8px; top: 8px; font: 600 12px/1.4 system-ui, sans-serif;
  color: #fff; background: rgba(127, 29, 29, .9); padding: 2px 8px; border-radius: 3px; }
[data-text]::before { content: attr(data-text); }
.dismiss { position: absolute; right: 4px; top: 4px; pointer-events: auto; cursor: pointer;
  width: 24px; height: 24px; border: 0; border-radius: 12px; padding: 0;
  font: 700 16px/24px system-ui, sans-serif; color: #fff; background: rgba(15, 23, 42, .85); }
button.label { pointer-events: auto; cursor: pointer; border: 0; text-align: left; }
button.label:focus-visible { outline: 2px solid #2dd4bf; outline-offset: 2px; }
.detail { position: absolute; left: -2px; top: 100%; margin-top: 2px; pointer-events: auto; min-width: 9em;
  font: 500 12px/1.5 system-ui, sans-serif; color: #fff; background: rgba(15, 23, 42, .92); padding: 4px 8px; border-radius: 4px; }
.detail > div { display: flex; gap: 8px; align-items: center; }
.detail .bar { flex: 1; height: 6px; background: rgba(255,255,255,.2); border-radius: 3px; overflow: hidden; }
.detail .bar > span { display: block; height: 100%; background: var(--c, #2dd4bf); }
.dismiss:focus-visible { outline: 2px solid #2dd4bf; outline-offset: 2px; }
`;

/**
 * Puts text on screen without putting it in the page's text: generated content (::before) is
 * drawn but is not text that window.find() or a selection can reach, and the closed shadow root
 * keeps the attribute from the page's scripts. A page must not read a face's emotion (in a
 * cross-origin frame, say) off FaceML's labels. Assistive technology gets the same words from
 * the accessible name.
 */
function setText(el: HTMLElement, text: string): void {
  el.dataset.text = text;
  el.setAttribute('role', 'img');
  el.setAttribute('aria-label', text);
}

/** An opened face's seven scores, highest first, as text and a bar each (text drawn as in setText). */
function scoreDetail(face: FrameFace): HTMLElement {
  const box = document.createElement('div');
  box.className = 'detail';
  for (const emotion of [...LABELS].sort((a, b) => face.scores[b] - face.scores[a])) {
    const line = document.createElement('div');
    const name = document.createElement('span');
    setText(name, `${emotion} ${percent(face.scores[emotion])}`);
    const bar = document.createElement('span');
    bar.className = 'bar';
    const fill = document.createElement('span');
    fill.style.width = percent(face.scores[emotion]);
    fill.style.setProperty('--c', EMOTION_COLOR[emotion]);
    bar.append(fill);
    line.append(name, bar);
    box.append(line);
  }
  return box;
}

/**
 * Draws boxes and labels over one video or image. Lives in a shadow root so page CSS cannot reach it,
 * builds DOM without innerHTML (Trusted Types pages), and never takes clicks.
 */
export class MediaOverlay {
  private readonly host: HTMLElement;
  private readonly layer: HTMLDivElement;
  private faces: FrameFace[] = [];
  private frameSize = { width: 1, height: 1 };
  private notice: string | null = null;
  private look: OverlayLook = { style: 'box-label', confidenceThreshold: 0 };

  private dismissButton: HTMLButtonElement | null = null;
  /** Image results: each face's label is a button that opens its seven scores (kept: focus stays). */
  private readonly labelButtons = new Map<number, HTMLButtonElement>();
  private expanded: number | null = null;

  /** `onDismiss`: offer a close button (image results; video overlays follow detection instead). */
  constructor(
    private readonly video: MediaElement,
    private readonly onDismiss?: () => void,
  ) {
    this.host = document.createElement('faceml-overlay');
    this.host.style.setProperty('pointer-events', 'none', 'important');
    const root = this.host.attachShadow({ mode: 'closed' });
    const style = document.createElement('style');
    style.textContent = STYLE;
    this.layer = document.createElement('div');
    this.layer.className = 'layer';
    root.append(style, this.layer);
    this.host.dataset.facemlOverlay = '';
    // Inside the fullscreen element when there is one, so the overlay stays visible there.
    (document.fullscreenElement ?? document.documentElement).append(this.host);
  }

  /** Draws faces; `notice` (optional) is shown alongside them. */
  show(faces: FrameFace[], frameWidth: number, frameHeight: number, notice: string | null = null): void {
    this.faces = faces;
    this.frameSize = { width: frameWidth, height: frameHeight };
    this.notice = notice;
    this.render();
  }

  setLook(look: OverlayLook): void {
    this.look = look;
    this.render();
  }

  /** The notice shown instead of faces (e.g. protected video), if any. */
  get currentNotice(): string | null {
    return this.notice;
  }

  showNotice(text: string): void {
    this.faces = [];
    this.notice = text;
    this.render();
  }

  /** Re-aligns with the video (called on every animation frame while detection is on). */
  render(): void {
    const parent = document.fullscreenElement ?? document.documentElement;
    if (this.host.parentNode !== parent) parent.append(this.host);
    const rect = contentRect(this.video);
    Object.assign(this.layer.style, { left: `${rect.left}px`, top: `${rect.top}px`, width: `${rect.width}px`, height: `${rect.height}px` });
    const sx = rect.width / this.frameSize.width;
    const sy = rect.height / this.frameSize.height;
    const mirrored = isMirrored(this.video);
    const nodes: HTMLElement[] = this.faces.map((face) => {
      const el = document.createElement('div');
      const sure = face.confidence >= this.look.confidenceThreshold;
      el.className = this.look.style === 'box-label' ? 'face' : 'face no-box';
      const x = mirrored ? this.frameSize.width - face.box.x - face.box.width : face.box.x;
      Object.assign(el.style, { left: `${x * sx}px`, top: `${face.box.y * sy}px`, width: `${face.box.width * sx}px`, height: `${face.box.height * sy}px` });
      el.style.setProperty('--c', sure ? EMOTION_COLOR[face.emotion] : '#999999');
      const label = this.onDismiss ? this.labelButton(face.faceId) : document.createElement('span');
      // The face's number leads its label: the popup and side panel list the same "Face 2".
      const said = sure ? `${face.emotion} ${percent(face.confidence)}` : UNCERTAIN_LABEL;
      const emoji = this.look.style === 'emoji' && sure;
      label.className = emoji ? 'label emoji' : 'label';
      setText(label, emoji ? `${face.faceId} ${EMOTION_EMOJI[face.emotion]}` : `${face.faceId} · ${said}`);
      label.setAttribute('aria-label', `Face ${face.faceId}: ${said}${this.onDismiss ? '. Show all seven scores' : ''}`);
      el.dataset.emotion = face.emotion;
      el.dataset.faceId = String(face.faceId);
      el.append(label);
      if (this.onDismiss) {
        label.setAttribute('role', 'button');
        label.setAttribute('aria-expanded', String(this.expanded === face.faceId));
        if (this.expanded === face.faceId) el.append(scoreDetail(face));
      }
      return el;
    });
    if (this.notice) {
      const n = document.createElement('div');
      n.className = 'notice';
      setText(n, this.notice);
      nodes.push(n);
    }
    if (this.onDismiss) nodes.push(this.dismissControl());
    this.layer.replaceChildren(...nodes);
  }

  /** A face's label as a button (image results), made once per face so keyboard focus survives redraws. */
  private labelButton(faceId: number): HTMLButtonElement {
    let button = this.labelButtons.get(faceId);
    if (!button) {
      button = document.createElement('button');
      button.type = 'button';
      button.addEventListener('click', (e) => {
        e.preventDefault();
        e.stopPropagation();
        this.expanded = this.expanded === faceId ? null : faceId;
        this.render();
      });
      this.labelButtons.set(faceId, button);
    }
    return button;
  }

  /** The close button, made once (a new one each frame would lose keyboard focus). */
  private dismissControl(): HTMLButtonElement {
    if (!this.dismissButton) {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'dismiss';
      setText(button, '×');
      button.setAttribute('role', 'button');
      button.setAttribute('aria-label', 'Dismiss the FaceML result');
      button.addEventListener('click', (e) => {
        e.preventDefault();
        e.stopPropagation();
        this.onDismiss?.();
      });
      this.dismissButton = button;
    }
    return this.dismissButton;
  }

  /** Where the close button is on screen (viewport px), for tests: the shadow root is closed. */
  get dismissRect(): Box | null {
    const r = this.dismissButton?.getBoundingClientRect();
    return r ? { x: r.left, y: r.top, width: r.width, height: r.height } : null;
  }

  /** Hides the overlay (while the tab is captured, so labels do not end up in the picture). */
  setHidden(hidden: boolean): void {
    this.host.style.visibility = hidden ? 'hidden' : '';
  }

  /**
   * What is drawn and where on screen (viewport px), for tests and the popup: the shadow root is
   * closed to the page.
   */
  get drawn(): DrawnFace[] {
    const boxes = [...this.layer.querySelectorAll<HTMLElement>('.face')];
    return this.faces.map((f, i) => {
      const r = boxes[i]?.getBoundingClientRect();
      const label = boxes[i]?.querySelector<HTMLElement>('.label');
      const text = label?.dataset.text ?? '';
      const detail = [...(boxes[i]?.querySelectorAll<HTMLElement>('.detail [data-text]') ?? [])].map((d) => d.dataset.text!);
      const l = label?.getBoundingClientRect();
      const labelRect = l ? { x: l.left, y: l.top, width: l.width, height: l.height } : null;
      return { emotion: f.emotion, faceId: f.faceId, text, labelRect, ...(detail.length ? { detail } : {}), rect: r ? { x: r.left, y: r.top, width: r.width, height: r.height } : null, box: f.box };
    });
  }

  remove(): void {
    this.host.remove();
  }
}
