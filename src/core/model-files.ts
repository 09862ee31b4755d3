import type { ModelMetadata } from './classifier';
import { FaceMLError } from './errors';
import { elementsOf, topologyWeightShapes } from './model-topology';
import { tf } from './tf-backend';

/** A model.json and its weight files, however they were read (folder, picked files, zip). */
export interface ModelParts {
  /** Where the files came from, for error messages. */
  where: string;
  modelJson: unknown;
  /** Weight files by the path model.json names them with. */
  files: ReadonlyMap<string, Uint8Array>;
}

/** The most weight bytes FaceML loads: its models are a few MB; this leaves room for bigger ones. */
export const MAX_MODEL_BYTES = 64 * 1024 * 1024;
/** The most parameters a model may have (64 MB of float32). */
export const MAX_MODEL_PARAMETERS = MAX_MODEL_BYTES / 4;

export interface CheckedModel {
  artifacts: tf.io.ModelArtifacts;
  metadata: ModelMetadata;
  handler: tf.io.IOHandler;
}

/**
 * Checks a tfjs layers model's files before tfjs sees them, with errors that name what is
 * wrong (not a layers model, a weight file missing, weights truncated), and returns an IO
 * handler for EmotionClassifier.load (which then checks shapes and labels). Used by the Node
 * loader (files in a folder) and by the extension's model import (picked files or a zip).
 */
export function checkModelParts({ where, modelJson, files }: ModelParts): CheckedModel {
  const json = modelJson as Partial<tf.io.ModelJSON> | null;
  if (!json || typeof json !== 'object' || !json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new FaceMLError('MODEL_LOAD_FAILED', `${where}: model.json is not a TensorFlow.js layers model (no modelTopology/weightsManifest)`);
  }
  const { weightSpecs, buffers } = collectWeights(json as tf.io.ModelJSON, files, where);
  checkTopologyAgainstManifest(json.modelTopology, weightSpecs, where);
  const artifacts = artifactsOf(json as tf.io.ModelJSON, weightSpecs, joinWeights(weightSpecs, buffers, where));
  const metadata = ((json.userDefinedMetadata as Record<string, unknown> | undefined)?.faceml ?? {}) as ModelMetadata;
  return { artifacts, metadata, handler: tf.io.fromMemory(artifacts) };
}

/**
 * Checks a tfjs graph model's files (FaceML's own face detector): a graph model whose weight
 * files are all there, hold exactly the bytes the manifest names and no more than
 * MAX_MODEL_PARAMETERS. Returns an IO handler for tf.loadGraphModel.
 */
export function checkGraphModelParts({ where, modelJson, files }: ModelParts): tf.io.IOHandler {
  const json = modelJson as Partial<tf.io.ModelJSON> | null;
  if (!json || typeof json !== 'object' || json.format !== 'graph-model' || !json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new FaceMLError('MODEL_LOAD_FAILED', `${where}: model.json is not a TensorFlow.js graph model`);
  }
  const { weightSpecs, buffers } = collectWeights(json as tf.io.ModelJSON, files, where);
  if (!weightSpecs.every((w) => Array.isArray(w?.shape) && w.shape.every((n) => Number.isInteger(n) && n >= 0))) {
    throw new FaceMLError('MODEL_LOAD_FAILED', `${where}: a weight in the manifest has no valid shape`);
  }
  const count = weightSpecs.reduce((n, w) => n + elementsOf(w.shape), 0);
  if (count > MAX_MODEL_PARAMETERS) {
    throw new FaceMLError('MODEL_LOAD_FAILED', `${where}: the model has ${count.toLocaleString('en')} parameters; FaceML loads at most ${MAX_MODEL_PARAMETERS.toLocaleString('en')}`);
  }
  return tf.io.fromMemory(artifactsOf(json as tf.io.ModelJSON, weightSpecs, joinWeights(weightSpecs, buffers, where)));
}

function artifactsOf(json: tf.io.ModelJSON, weightSpecs: tf.io.WeightsManifestEntry[], weightData: ArrayBuffer): tf.io.ModelArtifacts {
  return {
    modelTopology: json.modelTopology,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
    weightSpecs,
    weightData,
    userDefinedMetadata: json.userDefinedMetadata,
  };
}

/** The manifest's weight entries and the bytes of each weight file it names (every one present). */
function collectWeights(json: tf.io.ModelJSON, files: ReadonlyMap<string, Uint8Array>, where: string): { weightSpecs: tf.io.WeightsManifestEntry[]; buffers: Uint8Array[] } {
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Uint8Array[] = [];
  for (const group of json.weightsManifest) {
    if (!group || !Array.isArray(group.weights) || !Array.isArray(group.paths)) {
      throw new FaceMLError('MODEL_LOAD_FAILED', `${where}: model.json's weightsManifest is malformed`);
    }
    weightSpecs.push(...group.weights);
    for (const p of group.paths) {
      const bytes = files.get(p) ?? files.get(p.split('/').pop()!);
      if (!bytes) throw new FaceMLError('MODEL_LOAD_FAILED', `${where}: weight file missing: ${p}`);
      buffers.push(bytes);
    }
  }
  return { weightSpecs, buffers };
}

/** The weight files as one buffer, which must hold exactly the bytes the manifest's entries need. */
function joinWeights(weightSpecs: tf.io.WeightsManifestEntry[], buffers: Uint8Array[], where: string): ArrayBuffer {
  const weightData = concat(buffers);
  const expectedBytes = weightSpecs.reduce((sum, w) => sum + bytesOf(w), 0);
  if (weightData.byteLength !== expectedBytes) {
    throw new FaceMLError(
      'MODEL_LOAD_FAILED',
      `${where}: weights hold ${weightData.byteLength} bytes, the manifest needs ${expectedBytes} (truncated or mismatched files)`,
    );
  }
  return weightData;
}

/**
 * Before tfjs builds anything: the weights the topology will allocate are the ones the manifest
 * holds (same shapes, same count), and no more than MAX_MODEL_PARAMETERS.
 */
function checkTopologyAgainstManifest(topology: unknown, specs: tf.io.WeightsManifestEntry[], where: string): void {
  const built = topologyWeightShapes(topology, where);
  const builtCount = built.reduce((n, s) => n + elementsOf(s), 0);
  if (builtCount > MAX_MODEL_PARAMETERS) {
    throw new FaceMLError('MODEL_LOAD_FAILED', `${where}: the model has ${builtCount.toLocaleString('en')} parameters; FaceML loads at most ${MAX_MODEL_PARAMETERS.toLocaleString('en')}`);
  }
  if (!specs.every((w) => Array.isArray(w?.shape) && w.shape.every((n) => Number.isInteger(n) && n >= 0))) {
    throw new FaceMLError('MODEL_LOAD_FAILED', `${where}: a weight in the manifest has no valid shape`);
  }
  const key = (s: readonly number[]) => s.join('x');
  const want = built.map(key).sort();
  const have = specs.map((w) => key(w.shape)).sort();
  if (want.length !== have.length || want.some((k, i) => k !== have[i])) {
    const manifestCount = specs.reduce((n, w) => n + elementsOf(w.shape), 0);
    const i = built.findIndex((shape, j) => key(shape) !== key(specs[j]?.shape ?? []));
    const first = i >= 0 && specs[i] ? ` (first difference: ${specs[i].name} is [${specs[i].shape.join(', ')}], the layers need [${built[i].join(', ')}])` : '';
    throw new FaceMLError(
      'MODEL_LOAD_FAILED',
      `${where}: model.json does not match its weights: the layers need ${built.length} weights of ${builtCount.toLocaleString('en')} parameters, the manifest lists ${specs.length} of ${manifestCount.toLocaleString('en')}${first}`,
    );
  }
}

function bytesOf(w: tf.io.WeightsManifestEntry): number {
  const count = elementsOf(w.shape);
  const q = w.quantization?.dtype;
  const per = q === 'float16' || q === 'uint16' ? 2 : q === 'uint8' ? 1 : w.dtype === 'bool' ? 1 : 4;
  return count * per;
}

function concat(parts: Uint8Array[]): ArrayBuffer {
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.byteLength;
  }
  return out.buffer;
}
