import { FaceMLError } from '../../core/errors';
import { checkGraphModelParts, MAX_MODEL_BYTES } from '../../core/model-files';
import type { tf } from '../../core/tf-backend';

/**
 * The face detector's graph model from the extension's own files (`folder` is an extension URL
 * ending in '/'): model.json, then each weight file it names, which must be a plain file name in
 * the same folder, checked by the core's checkGraphModelParts before tfjs sees it.
 */
export async function fetchGraphModel(folder: string): Promise<tf.io.IOHandler> {
  const where = new URL(folder).pathname;
  const get = async (name: string) => {
    const response = await fetch(new URL(name, folder)).catch((cause) => {
      throw new FaceMLError('DETECTOR_LOAD_FAILED', `${where}${name} could not be read`, { cause });
    });
    if (!response.ok) throw new FaceMLError('DETECTOR_LOAD_FAILED', `${where}${name} is missing (${response.status})`);
    return response;
  };
  const modelJson = (await (await get('model.json')).json()) as { weightsManifest?: { paths?: unknown[] }[] };
  const files = new Map<string, Uint8Array>();
  let total = 0;
  for (const group of Array.isArray(modelJson?.weightsManifest) ? modelJson.weightsManifest : []) {
    for (const p of Array.isArray(group?.paths) ? group.paths : []) {
      const name = String(p);
      if (!/^[\w.-]+$/.test(name) || name.startsWith('.')) throw new FaceMLError('DETECTOR_LOAD_FAILED', `${where}model.json names a weight file outside its folder: ${name}`);
      const bytes = new Uint8Array(await (await get(name)).arrayBuffer());
      total += bytes.byteLength;
      if (total > MAX_MODEL_BYTES) throw new FaceMLError('DETECTOR_LOAD_FAILED', `${where}: weights exceed ${MAX_MODEL_BYTES / 1024 / 1024} MB`);
      files.set(name, bytes);
    }
  }
  try {
    return checkGraphModelParts({ where, modelJson, files });
  } catch (err) {
    throw new FaceMLError('DETECTOR_LOAD_FAILED', (err as Error).message, { cause: err });
  }
}
