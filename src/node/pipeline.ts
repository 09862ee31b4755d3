import { readFile } from 'node:fs/promises';
import { BlazeFaceDetector } from '../core/blazeface';
import { EmotionClassifier } from '../core/classifier';
import { FaceDetector } from '../core/detector';
import { FaceMLError } from '../core/errors';
import { DETECTOR_NAMES, EmotionPipeline, type DetectorName, type FaceFinder } from '../core/pipeline';
import { initTensorflow } from '../core/tf-backend';
import { graphModelFromDir, modelFromDir } from './model-files';
import { BLAZEFACE_DIR, BLAZEFACE_JSON, DEFAULT_CASCADE_FILE, DEFAULT_MODEL_DIR, WASM_DIR } from './paths';
import { loadOpenCv } from './opencv';
import { wasmThreadCount, withNodeWasmThreads } from './wasm-threads';

/** The detector used when none is named: the one the measurements in the README chose. */
export const DEFAULT_DETECTOR: DetectorName = 'blazeface';

export interface NodePipelineOptions {
  /** Folder with model.json + weights (default: the shipped model, or $MODEL_DIR). */
  modelDir?: string;
  /** Threads for tfjs-wasm (default: $FACEML_WASM_THREADS, else one per core, at most 8). */
  threads?: number;
  /** Which face detector (default: $DETECTOR, else DEFAULT_DETECTOR). */
  detector?: DetectorName;
  cascadeFile?: string;
}

/** A detector name from user input (CLI flag, environment), or a clear error. */
export function parseDetectorName(value: string | undefined, where: string): DetectorName | undefined {
  if (value === undefined || value === '') return undefined;
  if ((DETECTOR_NAMES as readonly string[]).includes(value)) return value as DetectorName;
  throw new FaceMLError('INVALID_ARGUMENT', `${where} must be one of ${DETECTOR_NAMES.join(', ')}, got "${value}"`);
}

/** Builds the shared pipeline in Node: tfjs on wasm, the chosen face detector and the emotion model. */
export async function createNodePipeline(options: NodePipelineOptions = {}): Promise<EmotionPipeline<FaceFinder>> {
  const modelDir = options.modelDir ?? process.env.MODEL_DIR ?? DEFAULT_MODEL_DIR;
  const detector = options.detector ?? parseDetectorName(process.env.DETECTOR, 'DETECTOR') ?? DEFAULT_DETECTOR;
  const [, model] = await Promise.all([
    withNodeWasmThreads(options.threads ?? wasmThreadCount(), (threads) => initTensorflow({ wasmPath: WASM_DIR, threads })),
    modelFromDir(modelDir),
  ]);
  const [classifier, finder] = await Promise.all([EmotionClassifier.load(model.handler, model.metadata), createNodeDetector(detector, options.cascadeFile)]);
  return new EmotionPipeline(finder, classifier);
}

/** One face detector from the repo's own files (tfjs must be initialised for BlazeFace). */
export async function createNodeDetector(name: DetectorName, cascadeFile = DEFAULT_CASCADE_FILE): Promise<FaceFinder> {
  if (name === 'blazeface') return BlazeFaceDetector.load(await graphModelFromDir(BLAZEFACE_DIR, BLAZEFACE_JSON));
  const [{ cv }, cascadeXml] = await Promise.all([
    loadOpenCv(),
    readFile(cascadeFile).catch((cause) => {
      throw new FaceMLError('DETECTOR_LOAD_FAILED', `cannot read face cascade ${cascadeFile}`, { cause });
    }),
  ]);
  return FaceDetector.create(cv, new Uint8Array(cascadeXml));
}
