import type { EmotionPipeline } from '../../src/core/pipeline';
import { createNodePipeline } from '../../src/node/pipeline';

let shared: Promise<EmotionPipeline> | null = null;

/** The real pipeline with the shipped model (or $MODEL_DIR), loaded once per test file. */
export function getPipeline(): Promise<EmotionPipeline> {
  shared ??= createNodePipeline();
  return shared;
}
