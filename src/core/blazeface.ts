import { DEFAULT_DETECTOR_OPTIONS, type DetectorOptions } from './detector';
import { FaceMLError } from './errors';
import type { Box, GrayImage, RgbaImage } from './image';
import type { FaceFinder } from './pipeline';
import { tf } from './tf-backend';
import spec from './spec.json';

/**
 * BlazeFace (MediaPipe's back-camera face detector, 256x256 input, 896 anchors), as shipped in
 * @vladmandic/human's models folder (the extension build copies it to models/blazeface/). It runs on the same
 * tfjs runtime as the emotion classifier; the anchor decoding and non-maximum suppression are
 * done here in plain JS on one readback, so a call leaves no tensor behind.
 */
export const BLAZEFACE_INPUT = 256;
/** Anchors per cell for the two feature maps (stride 16: 16x16 cells x 2; stride 32: 8x8 x 6). */
const LAYERS = [
  { stride: 16, perCell: 2 },
  { stride: 32, perCell: 6 },
] as const;
/** Row layout of the decoded output: score logit, box (cx, cy, w, h), six landmarks (x, y). */
const ROW = 17;
const IOU_MERGE = 0.3;
/** The most tiles along a side anyone may ask for (37 inferences). */
const MAX_TILES_PER_SIDE = 6;

/** The detector options BlazeFace uses (the others tune the cascade). */
type BlazeFaceOptions = Pick<DetectorOptions, 'minConfidence' | 'minFaceSize' | 'tileSide' | 'maxTilesPerSide'>;

/**
 * BlazeFace boxes are tight squares over eyes, nose and mouth; the rest of FaceML (crops,
 * tracking, minimum sizes, overlays) works with boxes framed as the Haar cascade frames a face.
 * Each raw box is grown by `scale` around its centre and moved down by `offsetY` of its side.
 * Measured by `npm run measure-crop -- --detector blazeface`.
 */
const TO_FACE_BOX = spec.detectors.blazeface.toFaceBox;

/** Eye, nose and mouth points of one detection, in image pixels. */
export interface FaceLandmarks {
  rightEye: [number, number];
  leftEye: [number, number];
  nose: [number, number];
  mouth: [number, number];
}

export interface ScoredBox extends Box {
  score: number;
  landmarks: FaceLandmarks;
}

export class BlazeFaceDetector implements FaceFinder {
  readonly name = 'blazeface';
  private readonly anchors = anchorCentres();

  private constructor(private readonly model: tf.GraphModel) {}

  /** Loads the graph model from an IO handler (the extension's or the repo's own files). */
  static async load(handler: tf.io.IOHandler): Promise<BlazeFaceDetector> {
    let model: tf.GraphModel;
    try {
      model = await tf.loadGraphModel(handler);
    } catch (cause) {
      throw new FaceMLError('DETECTOR_LOAD_FAILED', `BlazeFace model could not be loaded: ${(cause as Error).message}`, { cause });
    }
    const shape = model.inputs[0]?.shape ?? [];
    if (model.inputs.length !== 1 || shape[1] !== BLAZEFACE_INPUT || shape[2] !== BLAZEFACE_INPUT || shape[3] !== 3 || model.outputs.length !== 4) {
      model.dispose();
      throw new FaceMLError('DETECTOR_LOAD_FAILED', `BlazeFace model has input [${shape.join(', ')}] and ${model.outputs.length} outputs; expected [1, 256, 256, 3] and 4`);
    }
    return new BlazeFaceDetector(model);
  }

  /** Face boxes in image pixels, framed like the cascade's, largest first. */
  async detect(image: GrayImage | RgbaImage, options: Partial<DetectorOptions> = {}): Promise<Box[]> {
    return (await this.detectScored(image, options)).map(({ x, y, width, height }) => ({ x, y, width, height }));
  }

  /** Like detect(), with each face's score and landmarks. */
  async detectScored(image: GrayImage | RgbaImage, options: Partial<DetectorOptions> = {}): Promise<ScoredBox[]> {
    const opts: BlazeFaceOptions = {
      minConfidence: options.minConfidence ?? DEFAULT_DETECTOR_OPTIONS.minConfidence,
      minFaceSize: options.minFaceSize ?? DEFAULT_DETECTOR_OPTIONS.minFaceSize,
      tileSide: options.tileSide ?? DEFAULT_DETECTOR_OPTIONS.tileSide,
      maxTilesPerSide: options.maxTilesPerSide ?? DEFAULT_DETECTOR_OPTIONS.maxTilesPerSide,
    };
    validate(opts);
    const minLogit = Math.log(opts.minConfidence / (1 - opts.minConfidence));
    const candidates: ScoredBox[] = [];
    // The whole image (large faces), then overlapping tiles (small faces): all candidates in image
    // pixels go through one suppression, so a face seen in two passes is reported once.
    for (const region of searchRegions(image.width, image.height, opts.tileSide, opts.maxTilesPerSide)) {
      const tile = region.width < image.width || region.height < image.height;
      const scale = BLAZEFACE_INPUT / Math.max(region.width, region.height);
      const raw = await this.run(letterbox(image, region, scale));
      for (let a = 0; a < this.anchors.length; a++) {
        const r = a * ROW;
        if (!(raw[r] > minLogit)) continue;
        const [ax, ay] = this.anchors[a];
        const point = (k: number): [number, number] => [region.x + (raw[r + 5 + 2 * k] + ax) / scale, region.y + (raw[r + 6 + 2 * k] + ay) / scale];
        const side = Math.max(raw[r + 3], raw[r + 4]) / scale;
        const cx = region.x + (raw[r + 1] + ax) / scale;
        const cy = region.y + (raw[r + 2] + ay) / scale;
        // In a tile, only faces wholly inside it and small next to it: a face cut by the tile's
        // edge, or too big for the tile, is whole in a neighbour or in the whole-image pass, and
        // its part would be a second, wrong box.
        if (tile && (side > region.width / 2 || cutByInnerEdge(cx, cy, side, region, image))) continue;
        candidates.push({
          x: cx - side / 2,
          y: cy - side / 2,
          width: side,
          height: side,
          score: 1 / (1 + Math.exp(-raw[r])),
          landmarks: { rightEye: point(0), leftEye: point(1), nose: point(2), mouth: point(3) },
        });
      }
    }
    return withoutParts(weightedNms(candidates))
      .map(toFaceBox)
      .filter((b) => b.width >= opts.minFaceSize && b.width > 0)
      .sort((p, q) => q.width * q.height - p.width * p.height);
  }

  /** One inference: the 896 x 17 rows (stride-16 anchors first), read back in one go. */
  private async run(input: Float32Array): Promise<Float32Array> {
    const outputs = tf.tidy(() => {
      const x = tf.tensor4d(input, [1, BLAZEFACE_INPUT, BLAZEFACE_INPUT, 3]);
      const parts = this.model.execute(x) as tf.Tensor[];
      // Four outputs: scores and regressors for 512 and for 384 anchors. Told apart by shape.
      const find = (anchors: number, width: number) => {
        const t = parts.find((p) => p.shape[1] === anchors && p.shape[2] === width);
        if (!t) throw new FaceMLError('DETECTOR_LOAD_FAILED', `BlazeFace output [1, ${anchors}, ${width}] missing`);
        return t;
      };
      const fine = tf.concat([find(512, 1), find(512, 16)], 2);
      const coarse = tf.concat([find(384, 1), find(384, 16)], 2);
      return tf.concat([fine, coarse], 1);
    });
    try {
      return (await outputs.data()) as Float32Array;
    } finally {
      outputs.dispose();
    }
  }

  dispose(): void {
    this.model.dispose();
  }
}

/** True when a box centred at (cx, cy) crosses an edge of `region` that is not the image's own edge. */
function cutByInnerEdge(cx: number, cy: number, side: number, region: Box, image: { width: number; height: number }): boolean {
  const half = side / 2;
  const margin = side * 0.1;
  return (
    (region.x > 0 && cx - half < region.x - margin) ||
    (region.y > 0 && cy - half < region.y - margin) ||
    (region.x + region.width < image.width && cx + half > region.x + region.width + margin) ||
    (region.y + region.height < image.height && cy + half > region.y + region.height + margin)
  );
}

/** The anchor centres in input pixels, in the model's output order. */
function anchorCentres(): [number, number][] {
  const out: [number, number][] = [];
  for (const { stride, perCell } of LAYERS) {
    const cells = Math.ceil(BLAZEFACE_INPUT / stride);
    for (let gy = 0; gy < cells; gy++) {
      for (let gx = 0; gx < cells; gx++) {
        for (let n = 0; n < perCell; n++) out.push([stride * (gx + 0.5), stride * (gy + 0.5)]);
      }
    }
  }
  return out;
}

/**
 * Where to look: the whole image and, when its longer side exceeds `tileSide`, a grid of tiles
 * about `tileSide` across overlapping by a quarter (a face cut by one tile's edge is whole in its
 * neighbour). BlazeFace finds faces down to about 1/6 of what it is shown, so a 640x480 frame at
 * the default 400 (2x2 tiles) finds faces of ~70 px instead of ~110 px, for 5 inferences instead
 * of 1; the extension's 480x360 frames get 2x1 tiles (3 inferences).
 */
export function searchRegions(width: number, height: number, tileSide: number, maxTilesPerSide = DEFAULT_DETECTOR_OPTIONS.maxTilesPerSide): Box[] {
  const whole = { x: 0, y: 0, width, height };
  if (tileSide <= 0 || Math.max(width, height) <= tileSide) return [whole];
  // A photo of many megapixels gets larger tiles, not hundreds.
  const most = Math.min(MAX_TILES_PER_SIDE, Math.max(1, Math.floor(maxTilesPerSide)));
  const cols = Math.min(most, Math.max(1, Math.ceil(width / tileSide)));
  const rows = Math.min(most, Math.max(1, Math.ceil(height / tileSide)));
  const tw = Math.min(width, Math.round((width / cols) * 1.25));
  const th = Math.min(height, Math.round((height / rows) * 1.25));
  const regions = [whole];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const x = cols === 1 ? 0 : Math.round((c * (width - tw)) / (cols - 1));
      const y = rows === 1 ? 0 : Math.round((r * (height - th)) / (rows - 1));
      regions.push({ x, y, width: tw, height: th });
    }
  }
  return regions;
}

/**
 * `region` of the image scaled by `scale` into the top-left of a black 256x256 RGB input in [-1, 1].
 * Shrinking averages the source area each input pixel covers (a plain bilinear resize of a 1080p
 * frame to 256 aliases and loses small faces); enlarging samples the nearest pixel.
 */
function letterbox(image: GrayImage | RgbaImage, region: Box, scale: number): Float32Array {
  const { width: W, data } = image;
  const channels = data.length >= W * image.height * 4 ? 4 : 1;
  const S = BLAZEFACE_INPUT;
  const out = new Float32Array(S * S * 3).fill(-1);
  const w = Math.min(S, Math.round(region.width * scale));
  const h = Math.min(S, Math.round(region.height * scale));
  const step = 1 / scale;
  const right = region.x + region.width;
  const bottom = region.y + region.height;
  for (let oy = 0; oy < h; oy++) {
    const y0 = region.y + Math.floor(oy * step);
    const y1 = Math.min(bottom, Math.max(y0 + 1, region.y + Math.floor((oy + 1) * step)));
    for (let ox = 0; ox < w; ox++) {
      const x0 = region.x + Math.floor(ox * step);
      const x1 = Math.min(right, Math.max(x0 + 1, region.x + Math.floor((ox + 1) * step)));
      let r = 0;
      let g = 0;
      let b = 0;
      for (let y = y0; y < y1; y++) {
        let i = (y * W + x0) * channels;
        for (let x = x0; x < x1; x++, i += channels) {
          if (channels === 4) {
            r += data[i];
            g += data[i + 1];
            b += data[i + 2];
          } else {
            r += data[i];
          }
        }
      }
      const n = (y1 - y0) * (x1 - x0);
      const o = (oy * S + ox) * 3;
      if (channels === 1) g = b = r;
      out[o] = r / n / 127.5 - 1;
      out[o + 1] = g / n / 127.5 - 1;
      out[o + 2] = b / n / 127.5 - 1;
    }
  }
  return out;
}

/**
 * MediaPipe's weighted suppression: overlapping candidates are merged into one box, their
 * coordinates averaged by score, which steadies boxes from frame to frame more than plain NMS.
 */
function weightedNms(candidates: ScoredBox[]): ScoredBox[] {
  const rest = [...candidates].sort((a, b) => b.score - a.score);
  const kept: ScoredBox[] = [];
  while (rest.length > 0) {
    const best = rest[0];
    const group = rest.filter((c) => iou(best, c) > IOU_MERGE);
    const others = rest.filter((c) => iou(best, c) <= IOU_MERGE);
    const total = group.reduce((s, c) => s + c.score, 0);
    const avg = (f: (c: ScoredBox) => number) => group.reduce((s, c) => s + f(c) * c.score, 0) / total;
    const avgPoint = (f: (l: FaceLandmarks) => [number, number]): [number, number] => [avg((c) => f(c.landmarks)[0]), avg((c) => f(c.landmarks)[1])];
    kept.push({
      x: avg((c) => c.x),
      y: avg((c) => c.y),
      width: avg((c) => c.width),
      height: avg((c) => c.height),
      score: best.score,
      landmarks: { rightEye: avgPoint((l) => l.rightEye), leftEye: avgPoint((l) => l.leftEye), nose: avgPoint((l) => l.nose), mouth: avgPoint((l) => l.mouth) },
    });
    rest.splice(0, rest.length, ...others);
  }
  return kept;
}

/**
 * Drops boxes that lie mostly inside a larger one: a tile shown part of a big face (eyes and
 * glasses, say) can score that part as a face of its own.
 */
function withoutParts(boxes: ScoredBox[]): ScoredBox[] {
  return boxes.filter((b) => !boxes.some((o) => o !== b && o.width * o.height > b.width * b.height && overlap(b, o) / (b.width * b.height) > 0.6));
}

function overlap(a: Box, b: Box): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

function iou(a: Box, b: Box): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / (a.width * a.height + b.width * b.height - inter);
}

function toFaceBox(b: ScoredBox): ScoredBox {
  const side = b.width * TO_FACE_BOX.scale;
  const cx = b.x + b.width / 2;
  const cy = b.y + b.height / 2 + TO_FACE_BOX.offsetY * b.width;
  return { ...b, x: cx - side / 2, y: cy - side / 2, width: side, height: side };
}

function validate(o: BlazeFaceOptions): void {
  if (!(o.minConfidence > 0 && o.minConfidence < 1)) throw new FaceMLError('INVALID_ARGUMENT', `detector option minConfidence must be in (0, 1), got ${o.minConfidence}`);
  if (!(o.tileSide >= 0 && Number.isFinite(o.tileSide))) throw new FaceMLError('INVALID_ARGUMENT', `detector option tileSide must be >= 0 (0: no tiles), got ${o.tileSide}`);
  if (!(o.maxTilesPerSide >= 1 && o.maxTilesPerSide <= MAX_TILES_PER_SIDE)) throw new FaceMLError('INVALID_ARGUMENT', `detector option maxTilesPerSide must be 1-${MAX_TILES_PER_SIDE}, got ${o.maxTilesPerSide}`);
  if (!(o.minFaceSize >= 0 && Number.isFinite(o.minFaceSize))) throw new FaceMLError('INVALID_ARGUMENT', `detector option minFaceSize must be >= 0, got ${o.minFaceSize}`);
}
