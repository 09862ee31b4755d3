import type { FaceDetector } from '../../src/core/detector';
import type { EmotionPipeline } from '../../src/core/pipeline';
import { createNodePipeline } from '../../src/node/pipeline';

let shared: Promise<EmotionPipeline<FaceDetector>> | null = null;

/** The real pipeline with the shipped model (or $MODEL_DIR), loaded once per test file. */
export function getPipeline(): Promise<EmotionPipeline<FaceDetector>> {
  shared ??= createNodePipeline();
  return shared;
}
