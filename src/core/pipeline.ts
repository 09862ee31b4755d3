import { appearanceSignature } from './appearance';
import type { DetectorOptions } from './detector';
import type { EmotionClassifier, FaceViews } from './classifier';
import { FaceMLError } from './errors';
import { assertUsableSize, clipBox, toGray, type Box, type GrayImage, type RgbaImage } from './image';
import { scoresFromVector, topEmotion, type Emotion, type EmotionScores } from './labels';
import { cropToInput, faceRegionForBox, INPUT_SIZE } from './preprocess';

/** One analysed face: the result type shared by the extension, the REST server and evaluation. */
export interface FaceResult {
  box: Box;
  emotion: Emotion;
  confidence: number;
  scores: EmotionScores;
  /** The face's appearance signature (core/appearance.ts): lets a tracker tell people apart. */
  signature?: Float32Array;
}

export interface AnalysisResult {
  faces: FaceResult[];
  image: { width: number; height: number };
  timing: { detect: number; classify: number; total: number };
}

export interface AnalyzeOptions {
  /** Detector settings (see DetectorOptions). */
  detector?: Partial<DetectorOptions>;
  /**
   * Face boxes to classify instead of running the detector (e.g. tracked boxes, or the whole
   * image for datasets of face crops). Boxes are clipped to the image; empty ones are dropped.
   */
  boxes?: Box[];
  /**
   * The whole image is one face crop framed like FER-2013 (datasets, training, eval): it is
   * classified as is, with no detection and no re-framing.
   */
  imageIsFaceCrop?: boolean;
  /** Most faces to classify per image (largest first). */
  maxFaces?: number;
  /** Views of each face to classify (default: the classifier's, both the face and its mirror image). */
  views?: FaceViews;
}

const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/** The face detectors FaceML ships: a CNN (BlazeFace, tfjs) and the original Haar cascade (OpenCV.js). */
export const DETECTOR_NAMES = ['blazeface', 'haar'] as const;
export type DetectorName = (typeof DETECTOR_NAMES)[number];

/**
 * Finds face boxes in an image (RGBA or gray), in image pixels, framed as the Haar cascade frames
 * a face (the framing spec.faceCrop turns into the classifier's input). FaceDetector (OpenCV.js
 * Haar) and BlazeFaceDetector (tfjs) run in-process; in the MV3 extension OpenCV lives in a
 * sandboxed iframe, so detection there is asynchronous.
 */
export interface FaceFinder {
  readonly name: DetectorName;
  detect(image: GrayImage | RgbaImage, options?: Partial<DetectorOptions>): Box[] | Promise<Box[]>;
  dispose?(): void;
}

/** Image -> faces -> emotions. The same object serves extension, server, eval and benchmarks. */
export class EmotionPipeline<D extends FaceFinder = FaceFinder> {
  constructor(
    readonly detector: D,
    readonly classifier: EmotionClassifier,
  ) {}

  async analyze(image: RgbaImage | GrayImage, options: AnalyzeOptions = {}): Promise<AnalysisResult> {
    const t0 = now();
    assertUsableSize(image.width, image.height);
    const gray = isGray(image) ? image : toGray(image);
    if (options.imageIsFaceCrop) {
      const whole = { x: 0, y: 0, width: gray.width, height: gray.height };
      const t1 = now();
      const faces = await this.classifyRegions(gray, [whole], [whole], options.views);
      const t2 = now();
      return { faces, image: { width: gray.width, height: gray.height }, timing: { detect: 0, classify: t2 - t1, total: t2 - t0 } };
    }
    const raw = options.boxes ?? (await this.detector.detect(image, options.detector));
    const t1 = now();
    const maxFaces = options.maxFaces ?? 32;
    const boxes = raw
      .map((b) => clipBox(b, gray.width, gray.height))
      .filter((b): b is Box => b !== null)
      .sort((a, b) => b.width * b.height - a.width * a.height)
      .slice(0, maxFaces);
    const faces = await this.classifyBoxes(gray, boxes, options.views);
    const t2 = now();
    return {
      faces,
      image: { width: gray.width, height: gray.height },
      timing: { detect: t1 - t0, classify: t2 - t1, total: t2 - t0 },
    };
  }

  /** Runs only the detector: face boxes in image pixels (video mode refreshes its boxes with it). */
  async detectFaces(image: RgbaImage | GrayImage, options?: Partial<DetectorOptions>): Promise<Box[]> {
    assertUsableSize(image.width, image.height);
    isGray(image); // the buffer must fit the size
    return this.detector.detect(image, options);
  }

  /** Classifies detector-style face boxes of a gray image (re-framed per spec.faceCrop). */
  classifyBoxes(gray: GrayImage, boxes: Box[], views?: FaceViews): Promise<FaceResult[]> {
    return this.classifyRegions(gray, boxes, boxes.map((box) => faceRegionForBox(box)), views);
  }

  /** Classifies the given input regions; results carry the matching face boxes. */
  private async classifyRegions(gray: GrayImage, boxes: Box[], regions: Box[], views?: FaceViews): Promise<FaceResult[]> {
    if (boxes.length === 0) return [];
    const plane = INPUT_SIZE * INPUT_SIZE;
    const batch = new Float32Array(boxes.length * plane);
    regions.forEach((region, i) => cropToInput(gray, region, batch, i * plane));
    const probabilities = await this.classifier.classify(batch, boxes.length, views);
    return boxes.map((box, i) => {
      const scores = scoresFromVector(probabilities[i]);
      return { box, ...topEmotion(scores), scores, signature: appearanceSignature(batch, i * plane) };
    });
  }
}

export function isGray(image: RgbaImage | GrayImage): image is GrayImage {
  const n = image.width * image.height;
  if (image.data.length === n) return true;
  if (image.data.length >= n * 4) return false;
  throw new FaceMLError('INVALID_IMAGE', `pixel buffer of ${image.data.length} bytes fits neither ${image.width}x${image.height} gray nor RGBA`);
}
