import type { Box } from '../../core/image';
import type { RequestOf } from '../protocol';
import { MediaOverlay, type OverlayLook } from './overlay';

/** The page's image showing `srcUrl`. */
const imageShowing = (srcUrl: string) => [...document.images].find((i) => i.currentSrc === srcUrl || i.src === srcUrl);

/**
 * Scrolls the image showing `srcUrl` into view (at once: a smooth scroll would still be moving
 * when the tab is captured) and says where its visible part is on screen, CSS px.
 */
export function locateImage(srcUrl: string): { rect: Box; devicePixelRatio: number } | null {
  const img = imageShowing(srcUrl);
  if (!img) return null;
  img.scrollIntoView({ block: 'nearest', inline: 'nearest', behavior: 'instant' });
  const r = img.getBoundingClientRect();
  const x = Math.max(0, r.left);
  const y = Math.max(0, r.top);
  const width = Math.min(window.innerWidth, r.right) - x;
  const height = Math.min(window.innerHeight, r.bottom) - y;
  return width > 0 && height > 0 ? { rect: { x, y, width, height }, devicePixelRatio: window.devicePixelRatio || 1 } : null;
}

interface ImageResult {
  overlay: MediaOverlay;
  /** The image URL the result belongs to. */
  srcUrl: string;
  /** Stops watching the image for a new picture. */
  unwatch: () => void;
}

/**
 * Results of "Analyze emotions in this image" drawn over the images of this page, kept aligned
 * on scroll and resize until the user dismisses them, the image shows another picture (its
 * faces are not this one's), or the page goes away.
 */
export class ImageResults {
  private readonly results = new Map<HTMLImageElement, ImageResult>();
  private look: OverlayLook | null = null;

  /** The overlays by image, kept in step with the results (the `__facemlImages` hook). */
  readonly overlays = new Map<HTMLImageElement, MediaOverlay>();

  show({ srcUrl, faces, width, height, notSaved }: RequestOf<'showImageResult'>): void {
    const img = imageShowing(srcUrl);
    if (!img) return;
    let result = this.results.get(img);
    if (!result || result.srcUrl !== srcUrl) {
      if (result) this.remove(img);
      const overlay = new MediaOverlay(img, () => this.remove(img));
      if (this.look) overlay.setLook(this.look);
      result = { overlay, srcUrl, unwatch: this.watch(img, srcUrl) };
      this.results.set(img, result);
      this.overlays.set(img, overlay);
    }
    if (faces.length) result.overlay.show(faces, width, height, notSaved ? `FaceML: not saved to history: ${notSaved}` : null);
    else result.overlay.showNotice('FaceML: no face found');
  }

  /** Removes the result when the image starts showing another picture (src or srcset changed). */
  private watch(img: HTMLImageElement, srcUrl: string): () => void {
    const check = () => {
      if (img.currentSrc !== srcUrl && img.src !== srcUrl) this.remove(img);
    };
    const observer = new MutationObserver(check);
    observer.observe(img, { attributes: true, attributeFilter: ['src', 'srcset'] });
    img.addEventListener('load', check);
    return () => {
      observer.disconnect();
      img.removeEventListener('load', check);
    };
  }

  private remove(img: HTMLImageElement): void {
    const result = this.results.get(img);
    if (!result) return;
    result.unwatch();
    result.overlay.remove();
    this.results.delete(img);
    this.overlays.delete(img);
  }

  setLook(look: OverlayLook): void {
    this.look = look;
    for (const { overlay } of this.results.values()) overlay.setLook(look);
  }

  realign(): void {
    for (const [img, { overlay }] of this.results) {
      if (!img.isConnected) this.remove(img);
      else overlay.render();
    }
  }

  setHidden(hidden: boolean): void {
    for (const { overlay } of this.results.values()) overlay.setHidden(hidden);
  }

  removeAll(): void {
    for (const img of [...this.results.keys()]) this.remove(img);
  }
}
