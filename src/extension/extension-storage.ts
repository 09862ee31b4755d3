import type { WxtBrowser as Browser } from 'wxt/browser';
import type { StorageArea } from '../storage/storage-area';

/** Changed keys with their new values (absent: removed), as chrome.storage.onChanged reports them. */
export type StorageChanges = Record<string, { newValue?: unknown }>;

/**
 * Where FaceML keeps its data (history, settings, model choice), for every extension context:
 * one area and its change events. Chrome: chrome.storage.local, which the background closes to
 * content scripts (setAccessLevel TRUSTED_CONTEXTS). Firefox has no access levels, and its
 * content scripts can read and write storage.local: there the data lives in the extension
 * origin's IndexedDB instead, which pages and content scripts (they run in the page's origin)
 * cannot open. Change events cross contexts on a BroadcastChannel of that origin.
 */
export interface ExtensionStorage {
  local: StorageArea;
  /** Calls `listener` after every change, from any extension context. Returns the unsubscribe. */
  onChanged(listener: (changes: StorageChanges) => void): () => void;
}

let firefoxStorage: ExtensionStorage | null = null;

export function extensionStorage(browser: Browser): ExtensionStorage {
  if (import.meta.env.MANIFEST_VERSION === 2) return (firefoxStorage ??= indexedDbStorage());
  return {
    local: browser.storage.local,
    onChanged(listener) {
      const onChanged = (changes: Record<string, { newValue?: unknown }>, area: string) => area === 'local' && listener(changes);
      browser.storage.onChanged.addListener(onChanged);
      return () => browser.storage.onChanged.removeListener(onChanged);
    },
  };
}

const CHANNEL = 'faceml-storage';
const STORE = 'kv';

/** A StorageArea over one IndexedDB object store: each set or remove is one transaction. */
export function indexedDbStorage(name = 'faceml'): ExtensionStorage {
  let db: Promise<IDBDatabase> | null = null;
  const open = () =>
    (db ??= new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open(name, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    }).catch((err) => {
      db = null;
      throw err;
    }));
  const done = (tx: IDBTransaction) =>
    new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error ?? new Error('storage transaction aborted'));
    });
  const result = <T>(request: IDBRequest<T>) =>
    new Promise<T>((resolve, reject) => {
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  const channel = new BroadcastChannel(CHANNEL);
  const local: StorageArea = {
    async get(keys) {
      const store = (await open()).transaction(STORE, 'readonly').objectStore(STORE);
      if (keys === null) {
        const [names, values] = await Promise.all([result(store.getAllKeys()), result(store.getAll())]);
        return Object.fromEntries(names.map((k, i) => [String(k), values[i]]));
      }
      const out: Record<string, unknown> = {};
      for (const key of [keys].flat()) {
        const value = await result(store.get(key));
        if (value !== undefined) out[key] = value;
      }
      return out;
    },
    async getKeys() {
      return (await result((await open()).transaction(STORE, 'readonly').objectStore(STORE).getAllKeys())).map(String);
    },
    async set(items) {
      const tx = (await open()).transaction(STORE, 'readwrite');
      for (const [key, value] of Object.entries(items)) tx.objectStore(STORE).put(value, key);
      await done(tx);
      channel.postMessage(Object.fromEntries(Object.entries(items).map(([k, v]) => [k, { newValue: v }])));
    },
    async remove(keys) {
      const tx = (await open()).transaction(STORE, 'readwrite');
      for (const key of [keys].flat()) tx.objectStore(STORE).delete(key);
      await done(tx);
      channel.postMessage(Object.fromEntries([keys].flat().map((k) => [k, {}])));
    },
  };
  return {
    local,
    onChanged(listener) {
      // Its own channel object: a message reaches every BroadcastChannel of the name but the sender.
      const listening = new BroadcastChannel(CHANNEL);
      listening.onmessage = (event: MessageEvent<StorageChanges>) => listener(event.data);
      return () => listening.close();
    },
  };
}
