import type { ModelMetadata } from '../core/classifier';
import type { StorageArea } from '../storage/storage-area';

/**
 * "Use my own model": a model folder written by `npm run train` (model.json, weights, and
 * metadata.json), picked as files or as a zip, is checked, then stored in IndexedDB. Two slots
 * take turns so that a failed import never touches the model in use; the choice itself lives in
 * extension storage, where the settings page and the service worker see it. This module is the
 * choice (no tfjs: the service worker reads it); model-import.ts checks and stores models.
 */
export const MODEL_CHOICE_KEY = 'faceml:model';

export interface ModelInfo {
  name: string;
  /** Training date from its metadata, if recorded. */
  date: string | null;
  /** Validation accuracy the training run recorded, if any (0..1). */
  accuracy: number | null;
  /** The measured accuracy the metadata carries (the shipped model's; an imported one may have none). */
  evaluation?: { dataset: string; accuracy: number } | null;
}

export interface CustomModel extends ModelInfo {
  slot: 'a' | 'b';
  importedAt: number;
  metadata: ModelMetadata;
}

export interface ModelChoice {
  active: 'builtin' | 'custom';
  custom: CustomModel | null;
}

export const slotUrl = (slot: 'a' | 'b') => `indexeddb://faceml-model-${slot}`;

export function describeModel(metadata: ModelMetadata, fallbackName: string): ModelInfo {
  const training = (metadata.training ?? {}) as Record<string, unknown>;
  const accuracy = [training.validation_accuracy_pytorch_fp32, (metadata as Record<string, unknown>).accuracy].find((v) => typeof v === 'number') as number | undefined;
  return {
    name: typeof metadata.name === 'string' && metadata.name ? metadata.name : fallbackName,
    date: typeof training.date === 'string' ? training.date : null,
    accuracy: accuracy ?? null,
    evaluation: isEvaluation(metadata.evaluation) ? { dataset: metadata.evaluation.dataset.slice(0, 80), accuracy: metadata.evaluation.accuracy } : null,
  };
}

const isEvaluation = (v: unknown): v is { dataset: string; accuracy: number } =>
  typeof v === 'object' && v !== null && typeof (v as { dataset?: unknown }).dataset === 'string' && Number.isFinite((v as { accuracy?: unknown }).accuracy) && (v as { accuracy: number }).accuracy >= 0 && (v as { accuracy: number }).accuracy <= 1;

export async function loadModelChoice(area: StorageArea): Promise<ModelChoice> {
  const stored = (await area.get(MODEL_CHOICE_KEY))[MODEL_CHOICE_KEY] as Partial<ModelChoice> | undefined;
  const custom = stored?.custom && (stored.custom.slot === 'a' || stored.custom.slot === 'b') ? stored.custom : null;
  return { active: stored?.active === 'custom' && custom ? 'custom' : 'builtin', custom };
}

export async function setActiveModel(area: StorageArea, active: 'builtin' | 'custom'): Promise<ModelChoice> {
  const choice = await loadModelChoice(area);
  if (active === 'custom' && !choice.custom) throw new Error('no imported model to switch to');
  const next = { ...choice, active };
  await area.set({ [MODEL_CHOICE_KEY]: next });
  return next;
}

