import { createRequire } from 'node:module';
import { FaceMLError } from '../core/errors';
import type { OpenCv } from '../core/opencv-types';

let loading: Promise<{ cv: OpenCv }> | null = null;

/**
 * Loads OpenCV.js (@techstark/opencv-js) in Node once. Resolves to `{ cv }`, never to `cv`
 * itself: its Module object has a then() returning itself, so awaiting it directly never ends.
 */
export function loadOpenCv(timeoutMs = 30_000): Promise<{ cv: OpenCv }> {
  loading ??= new Promise<{ cv: OpenCv }>((resolve, reject) => {
    const require = createRequire(import.meta.url);
    const cv = require('@techstark/opencv-js') as OpenCv & { onRuntimeInitialized?: () => void };
    const timer = setTimeout(() => reject(new FaceMLError('DETECTOR_LOAD_FAILED', `OpenCV.js did not initialise within ${timeoutMs} ms`)), timeoutMs);
    const done = () => {
      clearTimeout(timer);
      resolve({ cv });
    };
    if (typeof cv.Mat === 'function') done();
    else cv.onRuntimeInitialized = done;
  });
  return loading;
}
