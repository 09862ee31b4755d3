import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ModelMetadata } from '../core/classifier';
import { FaceMLError } from '../core/errors';
import { checkModelParts } from '../core/model-files';
import type { tf } from '../core/tf-backend';

/** Reads a layers model (model.json + weight files) from a folder, checked by the core's checkModelParts. */
export async function modelFromDir(dir: string): Promise<{ handler: tf.io.IOHandler; metadata: ModelMetadata }> {
  const jsonPath = path.join(dir, 'model.json');
  let modelJson: { weightsManifest?: { paths?: unknown }[] };
  try {
    modelJson = JSON.parse(await readFile(jsonPath, 'utf8'));
  } catch (cause) {
    throw new FaceMLError('MODEL_LOAD_FAILED', `cannot read ${jsonPath}: ${(cause as Error).message}`, { cause });
  }
  const files = new Map<string, Uint8Array>();
  for (const group of Array.isArray(modelJson?.weightsManifest) ? modelJson.weightsManifest : []) {
    for (const p of Array.isArray(group.paths) ? (group.paths as string[]) : []) {
      // A missing file is reported by checkModelParts, naming it.
      await readFile(path.join(dir, p)).then((b) => files.set(p, b), () => undefined);
    }
  }
  const { handler, metadata } = checkModelParts({ where: dir, modelJson, files });
  return { handler, metadata };
}
