import { FaceMLError } from '../core/errors';
import { assertUsableSize, type RgbaImage } from '../core/image';

/** Decodes an image data URL or Blob to RGBA pixels in an extension page (no DOM needed). */
export async function decodeInBrowser(source: string | Blob, maxPixels?: number): Promise<RgbaImage> {
  let blob: Blob;
  if (typeof source === 'string') {
    try {
      blob = await (await fetch(source)).blob();
    } catch (cause) {
      throw new FaceMLError('INVALID_IMAGE', 'broken image data URL', { cause });
    }
  } else {
    blob = source;
  }
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob);
  } catch (cause) {
    throw new FaceMLError('INVALID_IMAGE', 'not a decodable image', { cause });
  }
  try {
    assertUsableSize(bitmap.width, bitmap.height, maxPixels);
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new FaceMLError('INVALID_IMAGE', 'no 2D canvas available');
    ctx.drawImage(bitmap, 0, 0);
    const data = ctx.getImageData(0, 0, bitmap.width, bitmap.height);
    return { width: data.width, height: data.height, data: data.data };
  } finally {
    bitmap.close();
  }
}
