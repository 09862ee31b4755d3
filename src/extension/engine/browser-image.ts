import { FaceMLError } from '../../core/errors';
import { readHeaderSize } from '../../core/image-header';
import { assertUsableSize, type RgbaImage } from '../../core/image';

/**
 * Decodes an image data URL or Blob to RGBA pixels in an extension page (no DOM needed). The
 * size its header declares is checked first: createImageBitmap allocates the whole bitmap before
 * anyone can look at it (a 10 KB WebP declaring 16383x16383 took a renderer to 1.7 GB).
 */
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
  const declared = readHeaderSize(new Uint8Array(await blob.arrayBuffer()));
  if (!declared) throw new FaceMLError('INVALID_IMAGE', 'not a decodable image (expected JPEG, PNG, WebP, GIF, BMP or AVIF)');
  assertUsableSize(declared.width, declared.height, maxPixels);
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

/** A small JPEG data URL of an image (history thumbnails, only when the user opted in). */
export async function thumbnailOf(image: RgbaImage, maxSide = 96): Promise<string> {
  const scale = Math.min(1, maxSide / Math.max(image.width, image.height));
  const full = new OffscreenCanvas(image.width, image.height);
  full.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(image.data), image.width, image.height), 0, 0);
  const small = new OffscreenCanvas(Math.max(1, Math.round(image.width * scale)), Math.max(1, Math.round(image.height * scale)));
  small.getContext('2d')!.drawImage(full, 0, 0, small.width, small.height);
  return blobToDataUrl(await small.convertToBlob({ type: 'image/jpeg', quality: 0.7 }));
}

/** A Blob as a data: URL (runtime messages carry images as strings). Chunked: spreading a whole
 * large array into fromCharCode would overflow the call stack. */
export async function blobToDataUrl(blob: Blob): Promise<string> {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return `data:${blob.type};base64,${btoa(binary)}`;
}
