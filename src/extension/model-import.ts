import { unzipSync } from 'fflate';
import { EmotionClassifier, type ModelMetadata } from '../core/classifier';
import { FaceMLError } from '../core/errors';
import { checkModelParts, MAX_MODEL_BYTES } from '../core/model-files';
import { INPUT_SIZE } from '../core/preprocess';
import { tf } from '../core/tf-backend';
import type { StorageArea } from '../storage/storage-area';
import { describeModel, loadModelChoice, MODEL_CHOICE_KEY, slotUrl, type CustomModel, type ModelChoice } from './model-choice';

/** Picked files (model.json + weight files [+ metadata.json]) or one zip of them -> name -> bytes. */
export async function readPickedFiles(files: File[]): Promise<Map<string, Uint8Array>> {
  const total = files.reduce((n, f) => n + f.size, 0);
  if (files.length === 0) throw new FaceMLError('MODEL_LOAD_FAILED', 'no files chosen');
  if (total > MAX_MODEL_BYTES) throw new FaceMLError('MODEL_LOAD_FAILED', `the files are ${Math.round(total / 1e6)} MB; a FaceML model is a few MB (limit ${MAX_MODEL_BYTES / 1e6} MB)`);
  const out = new Map<string, Uint8Array>();
  for (const file of files) {
    const bytes = new Uint8Array(await file.arrayBuffer());
    if (file.name.toLowerCase().endsWith('.zip')) {
      let entries: Record<string, Uint8Array>;
      try {
        entries = unzipCapped(bytes, MAX_MODEL_BYTES);
      } catch (cause) {
        if (cause instanceof FaceMLError) throw cause;
        throw new FaceMLError('MODEL_LOAD_FAILED', `${file.name} is not a readable zip file`, { cause });
      }
      // The folder may be zipped with its parent directory: keep base names.
      for (const [name, data] of Object.entries(entries)) if (!name.endsWith('/')) out.set(name.split('/').pop()!, data);
    } else {
      out.set(file.name, bytes);
    }
  }
  return out;
}

/**
 * Unzips only while the entries' uncompressed sizes stay within `budget` bytes: the compressed
 * size says nothing (a 1.5 MB zip can hold 1.5 GB of zeros). fflate's filter sees each entry's
 * declared size before inflating it, and an entry that inflates to more than it declared is an
 * error, so the budget holds for what is really allocated.
 */
function unzipCapped(bytes: Uint8Array, budget: number): Record<string, Uint8Array> {
  let declared = 0;
  let tooLarge = false;
  const entries = unzipSync(bytes, {
    filter: (entry) => {
      declared += entry.originalSize;
      if (declared > budget) tooLarge = true;
      return !tooLarge && !entry.name.endsWith('/');
    },
  });
  if (tooLarge) throw new FaceMLError('MODEL_LOAD_FAILED', `the zip holds more than ${Math.round(budget / 1024 / 1024)} MB once unpacked; a FaceML model is a few MB`);
  return entries;
}

/**
 * Checks the files (layers model, all weights present and complete, 48x48x1 input, 7 outputs
 * with known labels, a test prediction gives probabilities) and stores the model in the slot
 * not in use. Throws with what is wrong; then nothing stored or active has changed.
 * Needs tfjs initialised in the calling page.
 */
export async function importModel(area: StorageArea, files: Map<string, Uint8Array>, where = 'the chosen files'): Promise<ModelChoice> {
  const jsonBytes = files.get('model.json');
  if (!jsonBytes) throw new FaceMLError('MODEL_LOAD_FAILED', `${where}: no model.json (choose model.json and its weight files, or a zip of the model folder)`);
  let modelJson: unknown;
  try {
    modelJson = JSON.parse(new TextDecoder().decode(jsonBytes));
  } catch (cause) {
    throw new FaceMLError('MODEL_LOAD_FAILED', `${where}: model.json is not valid JSON`, { cause });
  }
  const checked = checkModelParts({ where, modelJson, files });
  let metadata = checked.metadata;
  const metaBytes = files.get('metadata.json');
  if (metaBytes) {
    try {
      metadata = { ...metadata, ...JSON.parse(new TextDecoder().decode(metaBytes)) };
    } catch (cause) {
      throw new FaceMLError('MODEL_LOAD_FAILED', `${where}: metadata.json is not valid JSON`, { cause });
    }
  }
  const classifier = await EmotionClassifier.load(checked.handler, metadata);
  try {
    const [probs] = await classifier.classify(new Float32Array(INPUT_SIZE * INPUT_SIZE).fill(0.5), 1);
    const sum = probs.reduce((a, b) => a + b, 0);
    if (!probs.every(Number.isFinite) || Math.abs(sum - 1) > 0.02) {
      throw new FaceMLError('MODEL_LOAD_FAILED', `${where}: the model's outputs are not probabilities (sum ${sum.toFixed(3)}); it needs a softmax output`);
    }
  } finally {
    classifier.dispose();
  }
  const choice = await loadModelChoice(area);
  const slot = choice.custom?.slot === 'a' ? 'b' : 'a';
  const store = tf.io.getSaveHandlers(slotUrl(slot))[0];
  if (!store?.save) throw new Error('this page cannot store models (no IndexedDB)');
  const saved = await store.save(checked.artifacts);
  if (saved.errors?.length) throw new Error(`could not store the model: ${saved.errors.join('; ')}`);
  const custom: CustomModel = { ...describeModel(metadata, 'imported model'), slot, importedAt: Date.now(), metadata };
  const next: ModelChoice = { active: 'custom', custom };
  await area.set({ [MODEL_CHOICE_KEY]: next });
  return next;
}

/** The IO handler and metadata the engine loads: the built-in model's files, or the imported slot. */
export function modelSource(choice: ModelChoice, builtinUrl: string): { handler: tf.io.IOHandler; custom: CustomModel | null } {
  if (choice.active === 'custom' && choice.custom) {
    return { handler: tf.io.getLoadHandlers(slotUrl(choice.custom.slot))[0], custom: choice.custom };
  }
  return { handler: tf.io.browserHTTPRequest(builtinUrl), custom: null };
}
