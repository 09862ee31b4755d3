import sharp from 'sharp';
import type { Box, RgbaImage } from '../core/image';

export { iou } from '../core/tracking';

/**
 * True when box `b` is centred inside the placed crop `crop`: the test of "found" for a face in a
 * composed scene. FER faces sit anywhere in their crops (turned, cut off), so overlap with the
 * crop's square would call some real finds false.
 */
export function centreInside(b: Box, crop: Box): boolean {
  const cx = b.x + b.width / 2;
  const cy = b.y + b.height / 2;
  return cx > crop.x && cx < crop.x + crop.width && cy > crop.y && cy < crop.y + crop.height;
}

export interface PlacedFace {
  /** A face-crop image file (e.g. a FER-2013 test image). */
  file: string;
  x: number;
  y: number;
  /** Side of the square the crop is scaled to, in pixels. */
  size: number;
}

export interface Scene {
  rgba: RgbaImage;
  jpeg: Buffer;
  /** Where each face crop was placed (the crop's square, not a detector box). */
  crops: Box[];
}

/**
 * Composes a test scene: face crops scaled up onto a textured background, so detection and the
 * whole pipeline can be tested on real faces in a larger frame without shipping any photo.
 * Deterministic for a given seed.
 */
export async function composeScene(width: number, height: number, faces: PlacedFace[], seed = 1): Promise<Scene> {
  const background = Buffer.alloc(width * height * 3);
  let state = seed >>> 0 || 1;
  const rand = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const base = 70 + 90 * (x / width) + 40 * (y / height);
      const i = (y * width + x) * 3;
      const n = (rand() - 0.5) * 24;
      background[i] = clamp(base + n + 10);
      background[i + 1] = clamp(base + n);
      background[i + 2] = clamp(base + n - 15);
    }
  }
  const layers = await Promise.all(
    faces.map(async (f) => ({
      input: await sharp(f.file).resize(f.size, f.size, { kernel: 'cubic' }).toColourspace('srgb').png().toBuffer(),
      left: Math.round(f.x),
      top: Math.round(f.y),
    })),
  );
  const composed = sharp(background, { raw: { width, height, channels: 3 } }).composite(layers);
  const { data } = await composed.clone().ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const jpeg = await composed.clone().jpeg({ quality: 90 }).toBuffer();
  return {
    rgba: { width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) },
    jpeg,
    crops: faces.map((f) => ({ x: Math.round(f.x), y: Math.round(f.y), width: f.size, height: f.size })),
  };
}

function clamp(v: number): number {
  return Math.max(0, Math.min(255, Math.round(v)));
}
