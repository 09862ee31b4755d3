import type { StorageArea } from '../../src/storage/storage-area';

/**
 * chrome.storage.local's contract for Node tests: async, JSON-serialisable values, a byte quota
 * (a set that would exceed it fails whole, with Chrome's message), random latency so that
 * unserialised read-modify-write sequences would interleave.
 */
export class MemoryArea implements StorageArea {
  data: Record<string, unknown> = {};
  /** Random latency on every call (off for benchmarks). */
  delay = true;
  constructor(public quotaBytes = Infinity) {}
  private async pause() {
    if (this.delay) await new Promise((r) => setTimeout(r, Math.random() * 3));
  }
  async get(keys: string | string[] | null) {
    await this.pause();
    const wanted = keys === null ? Object.keys(this.data) : Array.isArray(keys) ? keys : [keys];
    const out: Record<string, unknown> = {};
    for (const k of wanted) if (k in this.data) out[k] = structuredClone(this.data[k]);
    return out;
  }
  async set(items: Record<string, unknown>) {
    await this.pause();
    const next = { ...this.data, ...JSON.parse(JSON.stringify(items)) };
    if (JSON.stringify(next).length > this.quotaBytes) throw new Error('Resource::kQuotaBytes quota exceeded');
    this.data = next;
  }
  async remove(keys: string | string[]) {
    await this.pause();
    for (const k of Array.isArray(keys) ? keys : [keys]) delete this.data[k];
  }
}
