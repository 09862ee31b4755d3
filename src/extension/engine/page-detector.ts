import { FaceDetector } from '../../core/detector';
import { FaceMLError } from '../../core/errors';
import type { OpenCv } from '../../core/opencv-types';

/**
 * OpenCV.js loaded into this page itself (Firefox's background page, whose MV2 CSP may allow
 * the eval that opencv.js needs; Chrome uses the sandbox iframe instead).
 */
export async function createPageDetector(opencvUrl: string, cascade: ArrayBuffer, timeoutMs = 30_000): Promise<FaceDetector> {
  const g = globalThis as { cv?: OpenCv & { onRuntimeInitialized?: () => void }; Module?: unknown };
  if (!g.cv) {
    await new Promise<void>((resolve, reject) => {
      const script = document.createElement('script');
      script.src = opencvUrl;
      script.onload = () => resolve();
      script.onerror = () => reject(new FaceMLError('DETECTOR_LOAD_FAILED', `could not load ${opencvUrl}`));
      document.head.append(script);
    });
  }
  const { cv } = await new Promise<{ cv: OpenCv }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new FaceMLError('DETECTOR_LOAD_FAILED', `OpenCV.js did not start within ${timeoutMs} ms`)), timeoutMs);
    const done = (cv: OpenCv) => {
      clearTimeout(timer);
      resolve({ cv }); // wrapped: cv has a then() that returns itself
    };
    const cv = g.cv;
    if (!cv) return reject(new FaceMLError('DETECTOR_LOAD_FAILED', 'opencv.js did not define cv'));
    if (typeof cv.Mat === 'function') done(cv);
    else cv.onRuntimeInitialized = () => done(cv);
  });
  return FaceDetector.create(cv, new Uint8Array(cascade));
}
