import type { RequestOf } from '../protocol';
import { MediaOverlay, type OverlayLook } from './overlay';

/**
 * Results of "Analyze emotions in this image" drawn over the images of this page, kept aligned
 * on scroll and resize until the page goes away.
 */
export class ImageResults {
  readonly overlays = new Map<HTMLImageElement, MediaOverlay>();
  private look: OverlayLook | null = null;

  show({ srcUrl, faces, width, height, notSaved }: RequestOf<'showImageResult'>): void {
    const img = [...document.images].find((i) => i.currentSrc === srcUrl || i.src === srcUrl);
    if (!img) return;
    let overlay = this.overlays.get(img);
    if (!overlay) {
      overlay = new MediaOverlay(img);
      if (this.look) overlay.setLook(this.look);
      this.overlays.set(img, overlay);
    }
    if (faces.length) overlay.show(faces, width, height, notSaved ? `FaceML: not saved to history: ${notSaved}` : null);
    else overlay.showNotice('FaceML: no face found');
  }

  setLook(look: OverlayLook): void {
    this.look = look;
    for (const overlay of this.overlays.values()) overlay.setLook(look);
  }

  realign(): void {
    for (const overlay of this.overlays.values()) overlay.render();
  }

  setHidden(hidden: boolean): void {
    for (const overlay of this.overlays.values()) overlay.setHidden(hidden);
  }

  removeAll(): void {
    for (const overlay of this.overlays.values()) overlay.remove();
    this.overlays.clear();
  }
}
