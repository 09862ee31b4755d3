import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ModelMetadata } from '../core/classifier';
import { FaceMLError } from '../core/errors';
import { tf } from '../core/tf-backend';

/**
 * A tfjs IO handler that reads a layers model (model.json + weight files) from a folder, with
 * errors that name the missing or short file rather than tfjs's generic ones.
 */
export async function modelFromDir(dir: string): Promise<{ handler: tf.io.IOHandler; metadata: ModelMetadata }> {
  const jsonPath = path.join(dir, 'model.json');
  let modelJson: tf.io.ModelJSON;
  try {
    modelJson = JSON.parse(await readFile(jsonPath, 'utf8'));
  } catch (cause) {
    throw new FaceMLError('MODEL_LOAD_FAILED', `cannot read ${jsonPath}: ${(cause as Error).message}`, { cause });
  }
  if (!modelJson.modelTopology || !Array.isArray(modelJson.weightsManifest)) {
    throw new FaceMLError('MODEL_LOAD_FAILED', `${jsonPath} is not a TensorFlow.js layers model (no modelTopology/weightsManifest)`);
  }
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Uint8Array[] = [];
  for (const group of modelJson.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const p of group.paths) {
      const file = path.join(dir, p);
      try {
        buffers.push(await readFile(file));
      } catch (cause) {
        throw new FaceMLError('MODEL_LOAD_FAILED', `weight file missing: ${file}`, { cause });
      }
    }
  }
  const weightData = concat(buffers);
  const expectedBytes = weightSpecs.reduce((sum, w) => sum + bytesOf(w), 0);
  if (weightData.byteLength !== expectedBytes) {
    throw new FaceMLError('MODEL_LOAD_FAILED', `weights in ${dir} hold ${weightData.byteLength} bytes, the manifest needs ${expectedBytes} (truncated or mismatched files)`);
  }
  const metadata = ((modelJson.userDefinedMetadata as Record<string, unknown> | undefined)?.faceml ?? {}) as ModelMetadata;
  return {
    handler: tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs, weightData, userDefinedMetadata: modelJson.userDefinedMetadata }),
    metadata,
  };
}

function bytesOf(w: tf.io.WeightsManifestEntry): number {
  const count = w.shape.reduce((a, b) => a * b, 1);
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
