import { FaceMLError } from './errors';
import { toGray, type Box, type GrayImage, type RgbaImage } from './image';
import type { CvCascadeClassifier, CvMat, OpenCv } from './opencv-types';

export interface DetectorOptions {
  /** Haar pyramid step: larger is faster and misses a few more faces. */
  scaleFactor: number;
  /** Overlapping hits needed to accept a face: larger means fewer false faces. */
  minNeighbors: number;
  /** Smallest face to report, in pixels of the input image. */
  minFaceSize: number;
  /** BlazeFace: lowest face score (0-1) reported (the cascade ignores it). */
  minConfidence: number;
  /**
   * BlazeFace: an image whose longer side is over this is also searched in tiles about this
   * many pixels across, to find smaller faces (more tiles, more time). 0: the whole image only.
   */
  tileSide: number;
  /**
   * BlazeFace: at most this many tiles along each side (a photo of many megapixels gets larger
   * tiles, not hundreds). 3 (10 inferences) keeps a large upload's cost bounded on the server;
   * the extension asks for more on a large video frame of many small faces.
   */
  maxTilesPerSide: number;
  /**
   * The image is shrunk so its longer side is at most this before detection: Haar cost grows
   * with the pixel count (77-131 ms at 640x480 with scale 1.1, a few ms at 320).
   */
  maxDetectSide: number;
  /** Equalise the histogram before detecting (helps in dim or flat lighting). */
  equalize: boolean;
}

export const DEFAULT_DETECTOR_OPTIONS: Readonly<DetectorOptions> = Object.freeze({
  scaleFactor: 1.15,
  minNeighbors: 5,
  minFaceSize: 30,
  minConfidence: 0.5,
  tileSide: 400,
  maxTilesPerSide: 3,
  maxDetectSide: 400,
  equalize: true,
});

/** Haar's base window: nothing smaller can be found in the (possibly shrunk) detection image. */
const HAAR_WINDOW = 24;
const CASCADE_FILE = 'faceml_cascade.xml';

/** OpenCV.js Haar-cascade face detector. Every Mat it makes is freed before a call returns. */
export class FaceDetector {
  readonly name = 'haar';

  private constructor(
    private readonly cv: OpenCv,
    private readonly cascade: CvCascadeClassifier,
  ) {}

  /** Loads a cascade XML (text or bytes) into OpenCV's in-memory filesystem and from there. */
  static create(cv: OpenCv, cascadeXml: string | Uint8Array): FaceDetector {
    const bytes = typeof cascadeXml === 'string' ? new TextEncoder().encode(cascadeXml) : cascadeXml;
    try {
      cv.FS_unlink('/' + CASCADE_FILE);
    } catch {
      // not there yet: the usual case
    }
    const cascade = new cv.CascadeClassifier();
    try {
      cv.FS_createDataFile('/', CASCADE_FILE, bytes, true, false, false);
      if (!cascade.load(CASCADE_FILE) || cascade.empty()) throw new Error('CascadeClassifier.load returned false');
    } catch (cause) {
      cascade.delete();
      throw new FaceMLError('DETECTOR_LOAD_FAILED', `face detector cascade could not be loaded: ${(cause as Error).message ?? cause}`, { cause });
    }
    return new FaceDetector(cv, cascade);
  }

  /** Face boxes in image pixels, largest first. */
  detect(image: GrayImage | RgbaImage, options: Partial<DetectorOptions> = {}): Box[] {
    const gray = image.data.length === image.width * image.height ? (image as GrayImage) : toGray(image);
    const opts = { ...DEFAULT_DETECTOR_OPTIONS, ...options };
    validateOptions(opts);
    const { cv } = this;
    const shrink = Math.min(1, opts.maxDetectSide / Math.max(gray.width, gray.height));
    const mats: { delete(): void }[] = [];
    try {
      const full = track(mats, new cv.Mat(gray.height, gray.width, cv.CV_8UC1));
      full.data.set(gray.data.subarray(0, gray.width * gray.height));
      let work: CvMat = full;
      if (shrink < 1) {
        work = track(mats, new cv.Mat(0, 0, cv.CV_8UC1));
        const w = Math.max(1, Math.round(gray.width * shrink));
        const h = Math.max(1, Math.round(gray.height * shrink));
        cv.resize(full, work, new cv.Size(w, h), 0, 0, cv.INTER_AREA);
      }
      if (opts.equalize) cv.equalizeHist(work, work);
      const minSide = Math.max(HAAR_WINDOW, Math.round(opts.minFaceSize * shrink));
      if (minSide > Math.min(work.rows, work.cols)) return [];
      const found = track(mats, new cv.RectVector());
      this.cascade.detectMultiScale(work, found, opts.scaleFactor, opts.minNeighbors, 0, new cv.Size(minSide, minSide), new cv.Size(0, 0));
      const boxes: Box[] = [];
      for (let i = 0; i < found.size(); i++) {
        const r = found.get(i);
        boxes.push({ x: r.x / shrink, y: r.y / shrink, width: r.width / shrink, height: r.height / shrink });
      }
      return boxes.sort((a, b) => b.width * b.height - a.width * a.height);
    } finally {
      for (const m of mats) m.delete();
    }
  }

  dispose(): void {
    this.cascade.delete();
  }
}

function track<T extends { delete(): void }>(list: { delete(): void }[], value: T): T {
  list.push(value);
  return value;
}

function validateOptions(o: DetectorOptions): void {
  const bad = (msg: string) => {
    throw new FaceMLError('INVALID_ARGUMENT', `detector option ${msg}`);
  };
  if (!(o.scaleFactor > 1 && o.scaleFactor <= 2)) bad(`scaleFactor must be in (1, 2], got ${o.scaleFactor}`);
  if (!(Number.isInteger(o.minNeighbors) && o.minNeighbors >= 0 && o.minNeighbors <= 50)) bad(`minNeighbors must be an integer 0-50, got ${o.minNeighbors}`);
  if (!(o.minFaceSize >= 0 && Number.isFinite(o.minFaceSize))) bad(`minFaceSize must be >= 0, got ${o.minFaceSize}`);
  if (!(o.maxDetectSide >= HAAR_WINDOW && Number.isFinite(o.maxDetectSide))) bad(`maxDetectSide must be >= ${HAAR_WINDOW}, got ${o.maxDetectSide}`);
}
