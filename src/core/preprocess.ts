import type { Box, GrayImage } from './image';
import spec from './spec.json';

/**
 * Classifier input preprocessing: the ONE implementation used by the runtime (extension, server),
 * the evaluation CLI, the benchmarks and, through training/prepare-data.ts, training itself.
 */
export const INPUT_SIZE: number = spec.input.size;
const PIXEL_SCALE: number = spec.input.pixelScale;
const PIXEL_OFFSET: number = spec.input.pixelOffset;

/**
 * The region to feed the classifier for a detected face box. Haar boxes frame a face more tightly
 * than FER-2013's crops, so the box is grown and shifted as spec.faceCrop says (measured on FER
 * faces by training/measure-crop.ts). The result is square and may extend past the image; pixels
 * outside are filled by edge replication in cropToInput.
 */
export function faceRegionForBox(box: Box, crop = spec.faceCrop): Box {
  const side = Math.max(box.width, box.height) * crop.scale;
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2 + crop.offsetY * box.height;
  return { x: cx - side / 2, y: cy - side / 2, width: side, height: side };
}

/**
 * Resamples `region` of a gray image to INPUT_SIZE x INPUT_SIZE and normalises it, writing into
 * `out` at `offset` (so a batch can be filled in place). Downscaling averages the source area each
 * output pixel covers (no aliasing at small face sizes); upscaling interpolates bilinearly.
 */
export function cropToInput(
  gray: GrayImage,
  region: Box,
  out: Float32Array = new Float32Array(INPUT_SIZE * INPUT_SIZE),
  offset = 0,
): Float32Array {
  if (!(region.width > 0 && region.height > 0)) throw new RangeError('region must have a positive size');
  const { width: W, height: H, data } = gray;
  const sx = region.width / INPUT_SIZE;
  const sy = region.height / INPUT_SIZE;
  const at = (x: number, y: number) =>
    data[Math.min(H - 1, Math.max(0, y)) * W + Math.min(W - 1, Math.max(0, x))];

  for (let oy = 0; oy < INPUT_SIZE; oy++) {
    for (let ox = 0; ox < INPUT_SIZE; ox++) {
      let value: number;
      if (sx > 1 || sy > 1) {
        value = areaAverage(at, region.x + ox * sx, region.y + oy * sy, sx, sy);
      } else {
        value = bilinear(at, region.x + (ox + 0.5) * sx - 0.5, region.y + (oy + 0.5) * sy - 0.5);
      }
      out[offset + oy * INPUT_SIZE + ox] = value * PIXEL_SCALE + PIXEL_OFFSET;
    }
  }
  return out;
}

type PixelAt = (x: number, y: number) => number;

function bilinear(at: PixelAt, fx: number, fy: number): number {
  const x0 = Math.floor(fx);
  const y0 = Math.floor(fy);
  const tx = fx - x0;
  const ty = fy - y0;
  const top = at(x0, y0) * (1 - tx) + at(x0 + 1, y0) * tx;
  const bottom = at(x0, y0 + 1) * (1 - tx) + at(x0 + 1, y0 + 1) * tx;
  return top * (1 - ty) + bottom * ty;
}

/** Mean of the source rectangle [x0, x0+w) x [y0, y0+h), weighting partly covered pixels. */
function areaAverage(at: PixelAt, x0: number, y0: number, w: number, h: number): number {
  const x1 = x0 + w;
  const y1 = y0 + h;
  let sum = 0;
  let weight = 0;
  for (let y = Math.floor(y0); y < y1; y++) {
    const wy = Math.min(y + 1, y1) - Math.max(y, y0);
    for (let x = Math.floor(x0); x < x1; x++) {
      const wx = Math.min(x + 1, x1) - Math.max(x, x0);
      const wxy = wx * wy;
      sum += at(x, y) * wxy;
      weight += wxy;
    }
  }
  return sum / weight;
}
