import { constants } from 'node:fs';
import { open, readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import type { ModelMetadata } from '../core/classifier';
import { FaceMLError } from '../core/errors';
import { checkGraphModelParts, checkModelParts, MAX_MODEL_BYTES, type ModelParts } from '../core/model-files';
import type { tf } from '../core/tf-backend';

/** Reads a layers model (model.json + weight files) from a folder, checked by the core's checkModelParts. */
export async function modelFromDir(dir: string): Promise<{ handler: tf.io.IOHandler; metadata: ModelMetadata }> {
  const { handler, metadata } = checkModelParts(await readModelFolder(dir));
  return { handler, metadata };
}

/** Reads a graph model (the face detector's json + weights) from a folder, checked by checkGraphModelParts. */
export async function graphModelFromDir(dir: string, jsonName = 'model.json'): Promise<tf.io.IOHandler> {
  return checkGraphModelParts(await readModelFolder(dir, jsonName));
}

/** The model's json and the weight files it names, each read under the rules of readWeightFile. */
async function readModelFolder(dir: string, jsonName = 'model.json'): Promise<ModelParts> {
  const jsonPath = path.join(dir, jsonName);
  let modelJson: { weightsManifest?: { paths?: unknown }[] };
  try {
    modelJson = JSON.parse(await readFile(jsonPath, 'utf8'));
  } catch (cause) {
    throw new FaceMLError('MODEL_LOAD_FAILED', `cannot read ${jsonPath}: ${(cause as Error).message}`, { cause });
  }
  const files = new Map<string, Uint8Array>();
  // The folder as the file system resolves it (links followed), once: every weight file must be in it.
  const folder = await realpath(dir).catch(() => dir);
  let total = 0;
  for (const group of Array.isArray(modelJson?.weightsManifest) ? modelJson.weightsManifest : []) {
    for (const p of Array.isArray(group.paths) ? (group.paths as unknown[]) : []) {
      const bytes = await readWeightFile(dir, folder, String(p), MAX_MODEL_BYTES - total);
      if (!bytes) continue; // A missing file is reported by checkModelParts, naming it.
      total += bytes.byteLength;
      files.set(String(p), bytes);
    }
  }
  return { where: dir, modelJson, files };
}

/**
 * One weight file named by model.json: a regular file inside `folder` (the model folder, links
 * resolved; `dir` as given, for messages) after following links, of at most `budget` bytes. A manifest is data from whoever made the model: it must
 * not make FaceML read /etc/hostname or /dev/zero. Null when the file does not exist.
 */
async function readWeightFile(dir: string, folder: string, name: string, budget: number): Promise<Uint8Array | null> {
  const where = path.resolve(folder, name);
  const refuse = (why: string) => new FaceMLError('MODEL_LOAD_FAILED', `${dir}: weight file "${name}" ${why}`);
  if (path.isAbsolute(name) || !isInside(folder, where)) throw refuse('is outside the model folder');
  let real: string;
  try {
    real = await realpath(where);
  } catch {
    return null;
  }
  if (!isInside(folder, real)) throw refuse('is outside the model folder');
  // O_NONBLOCK: opening a FIFO must not wait for a writer; the fstat below then refuses it.
  const handle = await open(real, constants.O_RDONLY | constants.O_NONBLOCK).catch(() => null);
  if (!handle) return null;
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw refuse('is not a regular file');
    if (stat.size > budget) throw refuse(`is larger than ${Math.round(MAX_MODEL_BYTES / 1024 / 1024)} MB, the most model weights FaceML loads`);
    return new Uint8Array(await handle.readFile());
  } finally {
    await handle.close();
  }
}

function isInside(folder: string, file: string): boolean {
  const rel = path.relative(folder, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}
