import type { WxtBrowser as Browser } from 'wxt/browser';
import { chooseBackend } from '../../core/backend-choice';
import { EmotionClassifier, type ModelMetadata } from '../../core/classifier';
import { FaceMLError } from '../../core/errors';
import { EmotionPipeline, type DetectorName, type FaceFinder } from '../../core/pipeline';
import { INPUT_SIZE } from '../../core/preprocess';
import { initTensorflow, tf } from '../../core/tf-backend';
import type { ModelChoice } from '../model-choice';
import { modelSource } from '../model-import';
import type { EngineStatus } from '../protocol';
import { WorkerDetector } from './worker-detector';
import { webglRenderer } from './webgl';

/** What differs between where the engine runs: Chrome's offscreen document, Firefox's background page. */
export interface EngineHost {
  /** The Haar cascade's face finder: OpenCV.js in a sandbox iframe (Chrome's CSP) or in this page (Firefox). */
  createHaarDetector(cascade: ArrayBuffer): Promise<FaceFinder>;
  /** Which emotion model (built-in or imported) and which face detector to load. */
  engineConfig(): Promise<{ model: ModelChoice; detector: DetectorName }>;
  /** Loading progress, readiness and errors. */
  onStatus(status: EngineStatus): void;
}

/**
 * Loads the pipeline from the extension's own files, reporting progress as it goes: tfjs (wasm),
 * the chosen emotion model, the backend choice (WebAssembly or WebGL), then the chosen face
 * detector (BlazeFace on the same tfjs, or the Haar cascade in OpenCV.js).
 */
export async function loadPipeline(browser: Browser, host: EngineHost, report: (status: EngineStatus) => void): Promise<EmotionPipeline<FaceFinder>> {
  const url = (path: string) => browser.runtime.getURL(path as never);
  report({ state: 'loading', progress: 0.1, detail: 'starting TensorFlow.js (wasm)' });
  await initTensorflow({ wasmPath: url('/wasm/') });
  report({ state: 'loading', progress: 0.3, detail: 'loading the emotion model' });
  // Which model: the built-in one or one the user imported (settings page).
  const config = await host.engineConfig();
  const source = modelSource(config.model, url('/models/emotion/model.json'));
  const metadata = source.custom
    ? source.custom.metadata
    : ((await fetch(url('/models/emotion/metadata.json')).then((r) => r.json()).catch(() => ({}))) as ModelMetadata);
  const modelName = source.custom ? `${source.custom.name} (imported)` : `${metadata.name ?? 'faceml-emotion'} (built-in)`;
  const classifier = await EmotionClassifier.load(source.handler, metadata).catch((err: Error) => {
    throw source.custom ? new FaceMLError('MODEL_LOAD_FAILED', `your imported model "${source.custom.name}" failed to load (${err.message}); switch back to the built-in model in settings`) : err;
  });
  report({ state: 'loading', progress: 0.5, detail: 'choosing WebAssembly or WebGL' });
  const probeFace = new Float32Array(INPUT_SIZE * INPUT_SIZE).fill(0.5);
  const backend = await chooseBackend(webglRenderer(), () => classifier.classify(probeFace, 1));
  report({ state: 'loading', progress: 0.6, detail: `loading the face detector (${DETECTOR_TITLES[config.detector]})` });
  const detector = await loadDetector(config.detector, url, host);
  report({
    state: 'ready',
    progress: 1,
    detail: `ready (${tf.getBackend()}: ${backend.reason}; model: ${modelName}; faces: ${DETECTOR_TITLES[detector.name]})`,
    model: modelName,
    backend: tf.getBackend(),
    detector: detector.name,
  });
  return new EmotionPipeline(detector, classifier);
}

/** How the detectors are named to users (status lines, settings). */
export const DETECTOR_TITLES: Record<DetectorName, string> = { blazeface: 'BlazeFace', haar: 'Haar cascade' };

async function loadDetector(name: DetectorName, url: (path: string) => string, host: EngineHost): Promise<FaceFinder> {
  if (name === 'blazeface') return WorkerDetector.create(url('/blazeface-worker.js'), url('/wasm/'), url('/models/blazeface/'));
  const cascade = await fetch(url('/models/haarcascade_frontalface_default.xml')).then((r) => {
    if (!r.ok) throw new FaceMLError('DETECTOR_LOAD_FAILED', `face cascade missing (${r.status})`);
    return r.arrayBuffer();
  });
  return host.createHaarDetector(cascade);
}
