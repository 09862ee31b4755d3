import { FaceMLError } from './errors';
import { LABELS } from './labels';
import { INPUT_SIZE } from './preprocess';
import spec from './spec.json';

import { tf } from './tf-backend';

/** What a model's metadata.json (written by training) declares. */
export interface ModelMetadata {
  name?: string;
  labels?: string[];
  input?: { size?: number; channels?: number };
  training?: Record<string, unknown>;
  /**
   * The model's measured accuracy, the one figure every screen and document quotes: written from
   * `command`'s output, and checked against a rerun by test/core/accuracy.test.ts.
   */
  evaluation?: ModelEvaluation;
}

export interface ModelEvaluation {
  /** What it was measured on ("FER-2013 PublicTest"). */
  dataset: string;
  images: number;
  /** 0..1 */
  accuracy: number;
  /** The command that measures it again. */
  command: string;
}

/**
 * Which views of each face the net sees. 'both': the face as is and mirrored left-right, their
 * probabilities averaged (two inferences; what published accuracy figures measure). 'asIs' or
 * 'mirrored': one inference (a tracker alternates them, its smoothing does the averaging).
 */
export const VIEWS = ['both', 'asIs', 'mirrored'] as const;
export type FaceViews = (typeof VIEWS)[number];

/** The runtime default, from spec.json (inference.mirrorAverage). */
export const DEFAULT_VIEWS: FaceViews = spec.inference.mirrorAverage ? 'both' : 'asIs';

/**
 * The emotion CNN. Inputs are preprocessed faces (see preprocess.ts) laid out back to back;
 * outputs are probabilities in LABELS order. Tensors live only inside tf.tidy, so tf.memory()
 * stays flat however many calls are made.
 */
export class EmotionClassifier {
  private constructor(
    private readonly model: tf.LayersModel,
    /** outputIndexForLabel[i] = which model output holds LABELS[i]. */
    private readonly outputIndexForLabel: number[],
    readonly metadata: ModelMetadata,
  ) {}

  /** Loads and validates a tfjs layers model from any tfjs IO handler (files in Node, URLs in the browser). */
  static async load(handler: tf.io.IOHandler, metadata: ModelMetadata = {}): Promise<EmotionClassifier> {
    let model: tf.LayersModel;
    try {
      model = await tf.loadLayersModel(handler);
    } catch (cause) {
      throw new FaceMLError('MODEL_LOAD_FAILED', `emotion model could not be loaded: ${(cause as Error).message}`, { cause });
    }
    try {
      const mapping = validateModel(model, metadata);
      return new EmotionClassifier(model, mapping, metadata);
    } catch (err) {
      model.dispose();
      throw err;
    }
  }

  /** Classifies `count` faces stored in `inputs` (count x INPUT_SIZE^2 floats). */
  async classify(inputs: Float32Array, count: number, views: FaceViews = DEFAULT_VIEWS): Promise<Float32Array[]> {
    if (count === 0) return [];
    const plane = INPUT_SIZE * INPUT_SIZE;
    if (inputs.length < count * plane) throw new FaceMLError('INVALID_ARGUMENT', `classify: ${count} faces need ${count * plane} values, got ${inputs.length}`);
    const faces = inputs.subarray(0, count * plane);
    // The mirror images are made here rather than by tfjs ops (reverse, concat, split, average):
    // each op costs a dispatch, which on the threaded backend is a pool wake-up.
    const batch = views === 'asIs' ? faces : withMirrorImages(faces, count, views === 'both');
    const rows = views === 'both' ? 2 * count : count;
    const output = tf.tidy(() => this.model.predict(tf.tensor4d(batch, [rows, INPUT_SIZE, INPUT_SIZE, 1])) as tf.Tensor);
    let values: Float32Array;
    try {
      values = (await output.data()) as Float32Array;
    } finally {
      output.dispose();
    }
    if (views === 'both') values = averageHalves(values, count * (values.length / rows));
    const k = this.outputIndexForLabel.length;
    const width = values.length / count;
    return Array.from({ length: count }, (_, f) =>
      Float32Array.from(this.outputIndexForLabel, (j) => values[f * width + j]).subarray(0, k),
    );
  }

  dispose(): void {
    this.model.dispose();
  }
}

/** The INPUT_SIZE x INPUT_SIZE faces mirrored left-right, after the faces themselves if `keepFaces`. */
function withMirrorImages(faces: Float32Array, count: number, keepFaces: boolean): Float32Array {
  const offset = keepFaces ? faces.length : 0;
  const out = new Float32Array(offset + faces.length);
  if (keepFaces) out.set(faces);
  for (let row = 0; row < count * INPUT_SIZE; row++) {
    const start = row * INPUT_SIZE;
    for (let x = 0; x < INPUT_SIZE; x++) out[offset + start + x] = faces[start + INPUT_SIZE - 1 - x];
  }
  return out;
}

/** The mean of the first `half` values and the next `half` (a face's scores and its mirror image's). */
function averageHalves(values: Float32Array, half: number): Float32Array {
  return Float32Array.from({ length: half }, (_, i) => (values[i] + values[half + i]) / 2);
}

/**
 * Checks that a model takes [batch, 48, 48, 1] and gives one score per emotion, and works out
 * which output is which label (metadata may list labels in another order).
 */
export function validateModel(model: tf.LayersModel, metadata: ModelMetadata): number[] {
  const fail = (msg: string): never => {
    throw new FaceMLError('MODEL_LOAD_FAILED', `incompatible emotion model: ${msg}`);
  };
  if (model.inputs.length !== 1) fail(`expected 1 input, found ${model.inputs.length}`);
  const inShape = model.inputs[0].shape;
  const expected = [INPUT_SIZE, INPUT_SIZE, 1];
  if (inShape.length !== 4 || inShape.slice(1).some((d, i) => d !== expected[i])) {
    fail(`input shape is [${inShape.map((d) => d ?? 'batch').join(', ')}], expected [batch, ${expected.join(', ')}]`);
  }
  if (model.outputs.length !== 1) fail(`expected 1 output, found ${model.outputs.length}`);
  const outShape = model.outputs[0].shape;
  const labels = metadata.labels ?? [...LABELS];
  if (outShape.length !== 2 || outShape[1] !== labels.length) {
    fail(`output shape is [${outShape.map((d) => d ?? 'batch').join(', ')}], expected [batch, ${labels.length}]`);
  }
  if (labels.length !== LABELS.length) fail(`model has ${labels.length} labels, expected the ${LABELS.length} FER-2013 classes`);
  return LABELS.map((label) => {
    const index = labels.indexOf(label);
    if (index < 0) fail(`label "${label}" missing from the model's labels (${labels.join(', ')})`);
    return index;
  });
}
