import type { StorageArea } from '../../src/storage/storage-area';

/**
 * chrome.storage.local's contract for Node tests: async, JSON-serialisable values, a byte quota
 * (a set that would exceed it fails whole, with Chrome's message), random latency so that
 * unserialised read-modify-write sequences would interleave.
 */
export class MemoryArea implements StorageArea {
  data: Record<string, unknown> = {};
  constructor(public quotaBytes = Infinity) {}
  private static delay() {
    return new Promise((r) => setTimeout(r, Math.random() * 3));
  }
  async get(keys: string | string[] | null) {
    await MemoryArea.delay();
    const wanted = keys === null ? Object.keys(this.data) : Array.isArray(keys) ? keys : [keys];
    const out: Record<string, unknown> = {};
    for (const k of wanted) if (k in this.data) out[k] = structuredClone(this.data[k]);
    return out;
  }
  async set(items: Record<string, unknown>) {
    await MemoryArea.delay();
    const next = { ...this.data, ...JSON.parse(JSON.stringify(items)) };
    if (JSON.stringify(next).length > this.quotaBytes) throw new Error('Resource::kQuotaBytes quota exceeded');
    this.data = next;
  }
  async remove(keys: string | string[]) {
    await MemoryArea.delay();
    for (const k of Array.isArray(keys) ? keys : [keys]) delete this.data[k];
  }
}
