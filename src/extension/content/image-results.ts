import type { RequestOf } from '../protocol';
import { MediaOverlay, type OverlayLook } from './overlay';

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
    const img = [...document.images].find((i) => i.currentSrc === srcUrl || i.src === srcUrl);
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
