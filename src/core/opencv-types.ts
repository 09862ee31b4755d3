/**
 * The small part of the OpenCV.js API the detector uses. Typed here rather than through
 * @techstark/opencv-js's own types, which depend on a package (mirada) it does not install.
 */
export interface CvMat {
  data: Uint8Array;
  rows: number;
  cols: number;
  delete(): void;
}
export interface CvSize {
  width: number;
  height: number;
}
export interface CvRect {
  x: number;
  y: number;
  width: number;
  height: number;
}
export interface CvRectVector {
  size(): number;
  get(i: number): CvRect;
  delete(): void;
}
export interface CvCascadeClassifier {
  load(path: string): boolean;
  empty(): boolean;
  detectMultiScale(
    image: CvMat,
    objects: CvRectVector,
    scaleFactor: number,
    minNeighbors: number,
    flags: number,
    minSize: CvSize,
    maxSize: CvSize,
  ): void;
  delete(): void;
}
export interface OpenCv {
  Mat: new (rows: number, cols: number, type: number) => CvMat;
  Size: new (width: number, height: number) => CvSize;
  RectVector: new () => CvRectVector;
  CascadeClassifier: new () => CvCascadeClassifier;
  CV_8UC1: number;
  INTER_AREA: number;
  resize(src: CvMat, dst: CvMat, size: CvSize, fx: number, fy: number, interpolation: number): void;
  equalizeHist(src: CvMat, dst: CvMat): void;
  FS_createDataFile(parent: string, name: string, data: Uint8Array, canRead: boolean, canWrite: boolean, canOwn: boolean): void;
  FS_unlink(path: string): void;
}
