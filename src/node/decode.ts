import sharp, { type Metadata } from 'sharp';
import { FaceMLError } from '../core/errors';
import { assertUsableSize, DEFAULT_MAX_PIXELS, type RgbaImage } from '../core/image';

const SUPPORTED_FORMATS = new Set(['jpeg', 'png', 'webp']);

/**
 * Decodes JPEG/PNG/WebP bytes to RGBA in Node (sharp/libvips: fast, maintained, and it checks
 * dimensions from the header before allocating, so a 10000x10000 bomb is refused cheaply).
 * EXIF orientation is applied so phone photos are upright, as browsers show them.
 */
export async function decodeImage(bytes: Uint8Array, maxPixels = DEFAULT_MAX_PIXELS): Promise<RgbaImage> {
  if (!bytes || bytes.length === 0) throw new FaceMLError('INVALID_IMAGE', 'image is empty (0 bytes)');
  let meta: Metadata;
  try {
    meta = await sharp(bytes).metadata();
  } catch (cause) {
    throw new FaceMLError('INVALID_IMAGE', 'not a decodable image (expected JPEG, PNG or WebP)', { cause });
  }
  if (!meta.format || !SUPPORTED_FORMATS.has(meta.format)) {
    throw new FaceMLError('INVALID_IMAGE', `unsupported image format "${meta.format ?? 'unknown'}" (expected JPEG, PNG or WebP)`);
  }
  assertUsableSize(meta.width ?? 0, meta.height ?? 0, maxPixels);
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: maxPixels, failOn: 'truncated' })
      .rotate()
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  } catch (cause) {
    throw new FaceMLError('INVALID_IMAGE', `image data is corrupt or truncated: ${(cause as Error).message}`, { cause });
  }
}
