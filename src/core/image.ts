import { FaceMLError } from './errors';
import spec from './spec.json';

/** An RGBA pixel buffer, the shape browsers' ImageData has (and what the Node decoder produces). */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8ClampedArray | Uint8Array;
}

/** One 8-bit luma plane. */
export interface GrayImage {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Largest image the pipeline accepts (pixels). 40 MP covers any camera; 10000x10000 is refused. */
export const DEFAULT_MAX_PIXELS = 40_000_000;

export function assertUsableSize(width: number, height: number, maxPixels = DEFAULT_MAX_PIXELS): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new FaceMLError('EMPTY_IMAGE', `image has no pixels (${width}x${height})`);
  }
  if (width * height > maxPixels) {
    throw new FaceMLError(
      'IMAGE_TOO_LARGE',
      `image is ${width}x${height} (${((width * height) / 1e6).toFixed(1)} MP); the limit is ${(maxPixels / 1e6).toFixed(0)} MP`,
    );
  }
}

const [WR, WG, WB] = spec.input.grayscale;

/** RGBA -> luma with the BT.601 weights the model was trained with (same as OpenCV's RGBA2GRAY). */
export function toGray(image: RgbaImage): GrayImage {
  assertUsableSize(image.width, image.height, Infinity);
  const n = image.width * image.height;
  if (image.data.length < n * 4) {
    throw new FaceMLError('INVALID_IMAGE', `pixel buffer holds ${image.data.length} bytes, ${image.width}x${image.height} RGBA needs ${n * 4}`);
  }
  const out = new Uint8Array(n);
  const src = image.data;
  for (let i = 0, j = 0; i < n; i++, j += 4) {
    out[i] = Math.round(WR * src[j] + WG * src[j + 1] + WB * src[j + 2]);
  }
  return { width: image.width, height: image.height, data: out };
}

/** Clips a box to the image; returns null when nothing of it is inside. */
export function clipBox(box: Box, width: number, height: number): Box | null {
  const x0 = Math.max(0, Math.floor(box.x));
  const y0 = Math.max(0, Math.floor(box.y));
  const x1 = Math.min(width, Math.ceil(box.x + box.width));
  const y1 = Math.min(height, Math.ceil(box.y + box.height));
  if (x1 <= x0 || y1 <= y0) return null;
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/** Copies a region of an RGBA image (clipped to it) into a new image. */
export function cropRgba(image: RgbaImage, region: Box): RgbaImage {
  const box = clipBox(region, image.width, image.height);
  if (!box) throw new FaceMLError('EMPTY_IMAGE', 'crop region lies outside the image');
  const out = new Uint8ClampedArray(box.width * box.height * 4);
  for (let y = 0; y < box.height; y++) {
    const from = ((box.y + y) * image.width + box.x) * 4;
    out.set(image.data.subarray(from, from + box.width * 4), y * box.width * 4);
  }
  return { width: box.width, height: box.height, data: out };
}

/**
 * Box geometry, in one place for every caller (engine, background, content script, overlays):
 * boxes move between frame pixels, video pixels, screenshot (device) pixels and CSS pixels only
 * through these.
 */
/** A box multiplied by `sx` (and `sy`, default the same): a change of pixel unit. */
export function scaleBox(box: Box, sx: number, sy = sx): Box {
  return { x: box.x * sx, y: box.y * sy, width: box.width * sx, height: box.height * sy };
}

/** A box moved by (dx, dy): a change of origin. */
export function translateBox(box: Box, dx: number, dy: number): Box {
  return { x: box.x + dx, y: box.y + dy, width: box.width, height: box.height };
}
