/** The part of chrome.storage.local FaceML uses (also implemented in memory by tests). */
export interface StorageArea {
  get(keys: string | string[] | null): Promise<Record<string, unknown>>;
  set(items: Record<string, unknown>): Promise<void>;
  remove(keys: string | string[]): Promise<void>;
  /** Every key, without reading the values (chrome.storage.local.getKeys, Chrome 130+). */
  getKeys?(): Promise<string[]>;
}

export class StorageFullError extends Error {
  readonly code = 'STORAGE_FULL';
}

/** chrome.storage reports a full quota as a plain Error mentioning the quota. */
export function isQuotaError(err: unknown): boolean {
  return /quota/i.test((err as Error)?.message ?? String(err));
}
