import { readFile } from 'node:fs/promises';
import { EmotionClassifier } from '../core/classifier';
import { FaceDetector } from '../core/detector';
import { FaceMLError } from '../core/errors';
import { EmotionPipeline } from '../core/pipeline';
import { initTensorflow } from '../core/tf-backend';
import { modelFromDir } from './model-files';
import { DEFAULT_CASCADE_FILE, DEFAULT_MODEL_DIR, WASM_DIR } from './paths';
import { loadOpenCv } from './opencv';
import { wasmThreadCount, withNodeWasmThreads } from './wasm-threads';

export interface NodePipelineOptions {
  /** Folder with model.json + weights (default: the shipped model, or $MODEL_DIR). */
  modelDir?: string;
  /** Threads for tfjs-wasm (default: $FACEML_WASM_THREADS, else one per core, at most 8). */
  threads?: number;
  cascadeFile?: string;
}

/** Builds the shared pipeline in Node: tfjs on wasm, OpenCV.js, the Haar cascade and the model. */
export async function createNodePipeline(options: NodePipelineOptions = {}): Promise<EmotionPipeline<FaceDetector>> {
  const modelDir = options.modelDir ?? process.env.MODEL_DIR ?? DEFAULT_MODEL_DIR;
  const cascadeFile = options.cascadeFile ?? DEFAULT_CASCADE_FILE;
  const [, { cv }, cascadeXml, model] = await Promise.all([
    withNodeWasmThreads(options.threads ?? wasmThreadCount(), (threads) => initTensorflow({ wasmPath: WASM_DIR, threads })),
    loadOpenCv(),
    readFile(cascadeFile).catch((cause) => {
      throw new FaceMLError('DETECTOR_LOAD_FAILED', `cannot read face cascade ${cascadeFile}`, { cause });
    }),
    modelFromDir(modelDir),
  ]);
  const classifier = await EmotionClassifier.load(model.handler, model.metadata);
  return new EmotionPipeline(FaceDetector.create(cv, new Uint8Array(cascadeXml)), classifier);
}
