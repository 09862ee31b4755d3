import type { DetectorName, EmotionPipeline } from '../../src/core/pipeline';
import { createNodePipeline, DEFAULT_DETECTOR } from '../../src/node/pipeline';

const shared = new Map<DetectorName, Promise<EmotionPipeline>>();

/** The real pipeline with the shipped model (or $MODEL_DIR) and detector, loaded once per test file. */
export function getPipeline(detector: DetectorName = DEFAULT_DETECTOR): Promise<EmotionPipeline> {
  if (!shared.has(detector)) shared.set(detector, createNodePipeline({ detector }));
  return shared.get(detector)!;
}
