import sharp, { type Metadata } from 'sharp';
import { FaceMLError } from '../core/errors';
import { assertUsableSize, DEFAULT_MAX_PIXELS, type RgbaImage } from '../core/image';

const SUPPORTED_FORMATS = new Set(['jpeg', 'png', 'webp']);

/** What an image's header says, read without decoding its pixels. */
export interface ImageHeader {
  format: string;
  width: number;
  height: number;
}

/**
 * Reads an image's format and size from its header (sharp/libvips reads no pixel data for
 * this) and refuses what the pipeline will not decode: not JPEG/PNG/WebP, no pixels, or more
 * than `maxPixels`. A 2 KB file can declare 40 megapixels (a decompression bomb): it is refused
 * here, at the cost of reading a header.
 */
export async function readImageHeader(bytes: Uint8Array, maxPixels = DEFAULT_MAX_PIXELS): Promise<ImageHeader> {
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
  // EXIF orientations 5-8 swap the sides; the pixel count is the same either way.
  assertUsableSize(meta.width ?? 0, meta.height ?? 0, maxPixels);
  return { format: meta.format, width: meta.width!, height: meta.height! };
}

export interface DecodeOptions {
  maxPixels?: number;
  /** Longest a decode may take (whole seconds; libvips counts them); unset: no limit. */
  timeoutSeconds?: number;
}

/**
 * Decodes JPEG/PNG/WebP bytes to RGBA in Node (sharp/libvips: fast, maintained), after its header
 * passed readImageHeader. EXIF orientation is applied so phone photos are upright, as browsers
 * show them.
 */
export async function decodeImage(bytes: Uint8Array, options: DecodeOptions = {}): Promise<RgbaImage> {
  await readImageHeader(bytes, options.maxPixels);
  return decodePixels(bytes, options);
}

/**
 * The decoding step of decodeImage, for a caller that has already read the header with
 * readImageHeader (the server, which orders its queue by the header's size). libvips still
 * refuses more than `maxPixels`.
 */
export async function decodePixels(bytes: Uint8Array, { maxPixels = DEFAULT_MAX_PIXELS, timeoutSeconds }: DecodeOptions = {}): Promise<RgbaImage> {
  let image = sharp(bytes, { limitInputPixels: maxPixels, failOn: 'truncated' }).rotate().ensureAlpha().raw();
  if (timeoutSeconds) image = image.timeout({ seconds: timeoutSeconds });
  try {
    const { data, info } = await image.toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  } catch (cause) {
    if (/timeout/i.test((cause as Error).message)) {
      throw new FaceMLError('IMAGE_TOO_LARGE', `image took more than ${timeoutSeconds} s to decode`, { cause });
    }
    throw new FaceMLError('INVALID_IMAGE', `image data is corrupt or truncated: ${(cause as Error).message}`, { cause });
  }
}
