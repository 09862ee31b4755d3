import type { WxtBrowser as Browser } from 'wxt/browser';
import { scaleBox } from '../../core/image';
import { displayUrl, type HistoryStore } from '../../storage/history';
import { loadSettings } from '../../storage/settings';
import { blobToDataUrl } from '../engine/browser-image';
import { extensionStorage } from '../extension-storage';
import { sendToTab } from '../messaging';
import { failure, type RequestOf, type ResponseOf } from '../protocol';
import type { CaptureTab } from './capture';
import { ensureContentScript } from './content-script';
import type { EngineLink } from './engine-link';

const MAX_IMAGE_BYTES = 25 * 1024 * 1024;
export const IMAGE_MENU_ID = 'faceml-analyze-image';

export interface ImageMenuClick {
  srcUrl?: string;
  pageUrl?: string;
}

export type ImageAnalysisResult = ResponseOf<'analyzeImage'> & { via?: 'fetch' | 'capture'; notSaved?: string };
export type AnalyzeImage = (info: ImageMenuClick, tab: { id?: number; windowId?: number } | undefined) => Promise<ImageAnalysisResult>;

/**
 * Reads an image's bytes from the extension side (same-origin via activeTab, data:, or CORS),
 * streamed with a byte cap: a body is never read past MAX_IMAGE_BYTES, whatever Content-Length
 * says (or does not say).
 */
export async function fetchImage(url: string, maxBytes = MAX_IMAGE_BYTES): Promise<string> {
  const tooLarge = () => new Error(`image is larger than ${maxBytes / 1024 / 1024} MB`);
  const res = await fetch(url, { credentials: 'omit' });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  const type = res.headers.get('content-type')?.split(';')[0].trim() ?? '';
  if (!type.startsWith('image/')) {
    await res.body?.cancel();
    throw new Error(`not an image (${type || 'unknown type'})`);
  }
  if (Number(res.headers.get('content-length')) > maxBytes) {
    await res.body?.cancel();
    throw tooLarge();
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = res.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return blobToDataUrl(new Blob(chunks as BlobPart[], { type }));
}

/**
 * "Analyze emotions in this image": get the pixels (fetched bytes, or, for cross-origin images
 * the extension may not fetch, the image's rectangle of a tab capture), analyse them in the
 * engine, save the result to history and draw it over the image.
 */
export function createImageAnalysis(browser: Browser, engine: EngineLink, history: HistoryStore, captureTab: CaptureTab): AnalyzeImage {
  /** The request for the engine, and the size (screen pixels) to draw a captured result at. */
  async function imageRequest(srcUrl: string, tab: { id: number; windowId: number }, thumbnail: boolean) {
    try {
      return { request: { frame: await fetchImage(srcUrl), thumbnail } as RequestOf<'analyzeImage'>, via: 'fetch' as const };
    } catch {
      // Our content script scrolls the image into view and answers once that is painted; the
      // capture then hides its overlays (no earlier label in the picture).
      await ensureContentScript(browser, tab.id);
      const where = await sendToTab(browser, tab.id, 'locateImage', { srcUrl });
      if (!where.ok || !where.found) return null;
      const crop = scaleBox(where.rect, where.devicePixelRatio);
      const frame = await captureTab(tab, 'png');
      return { request: { frame, crop, thumbnail } as RequestOf<'analyzeImage'>, via: 'capture' as const, size: { width: crop.width, height: crop.height } };
    }
  }

  return async function analyzeImage(info, tab) {
    if (!info.srcUrl || tab?.id === undefined || tab.windowId === undefined) return failure('INVALID_ARGUMENT', 'no image to analyze');
    await engine.ensure();
    const { saveThumbnails, saveHistory } = await loadSettings(extensionStorage(browser).local);
    const target = { id: tab.id, windowId: tab.windowId };
    const prepared = await imageRequest(info.srcUrl, target, saveThumbnails);
    if (!prepared) return failure('IMAGE_UNAVAILABLE', 'the image could not be read or found on the page');
    const result = await engine.request('analyzeImage', prepared.request);
    if (!result.ok) return result;
    let notSaved: string | null = null;
    // History off in settings: the result is shown, not stored.
    if (saveHistory) {
      await history
        .addImage({
          id: crypto.randomUUID(),
          time: Date.now(),
          pageUrl: displayUrl(info.pageUrl ?? ''),
          imageUrl: displayUrl(info.srcUrl),
          width: result.width,
          height: result.height,
          faces: result.faces.map(({ box, emotion, confidence, scores }) => ({ box, emotion, confidence, scores })),
          ...(saveThumbnails && result.thumbnail ? { thumbnail: result.thumbnail } : {}),
        })
        .catch((err: Error) => {
          // Still show the result; say that it is not in history and why (storage full).
          notSaved = err.message;
        });
    }
    // A capture is in screen pixels of the visible part; a fetched image in its own pixels.
    const size = prepared.size ?? { width: result.width, height: result.height };
    await ensureContentScript(browser, tab.id);
    await sendToTab(browser, tab.id, 'showImageResult', { srcUrl: info.srcUrl, faces: result.faces, ...size, ...(notSaved ? { notSaved } : {}) });
    return { ...result, via: prepared.via, ...(notSaved ? { notSaved } : {}) };
  };
}
