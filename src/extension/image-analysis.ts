import type { WxtBrowser as Browser } from 'wxt/browser';
import type { Box } from '../core/image';
import { blobToDataUrl } from './browser-image';
import type { EngineLink } from './engine-link';
import { displayUrl, type HistoryStore } from '../storage/history';
import { loadSettings } from '../storage/settings';
import type { AnalyzeFrameResponse, AnalyzeImageRequest, ShowImageResult } from './messages';

const MAX_IMAGE_BYTES = 25 * 1024 * 1024;
export const IMAGE_MENU_ID = 'faceml-analyze-image';

export interface ImageMenuClick {
  srcUrl?: string;
  pageUrl?: string;
}

/** Reads an image's bytes from the extension side (same-origin via activeTab, data:, or CORS). */
async function fetchImage(url: string): Promise<string> {
  const res = await fetch(url, { credentials: 'omit' });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  const blob = await res.blob();
  if (!blob.type.startsWith('image/')) throw new Error(`not an image (${blob.type || 'unknown type'})`);
  if (blob.size > MAX_IMAGE_BYTES) throw new Error(`image is larger than ${MAX_IMAGE_BYTES / 1024 / 1024} MB`);
  return blobToDataUrl(blob);
}

/** Runs in the page: where the image is on screen (CSS px) and the device pixel ratio. */
function locateImage(src: string): { rect: Box; dpr: number } | null {
  const img = [...document.images].find((i) => i.currentSrc === src || i.src === src);
  if (!img) return null;
  img.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  const r = img.getBoundingClientRect();
  const x = Math.max(0, r.left);
  const y = Math.max(0, r.top);
  const width = Math.min(window.innerWidth, r.right) - x;
  const height = Math.min(window.innerHeight, r.bottom) - y;
  return width > 0 && height > 0 ? { rect: { x, y, width, height }, dpr: window.devicePixelRatio || 1 } : null;
}

/**
 * "Analyze emotions in this image": get the pixels (fetched bytes, or, for cross-origin images
 * the extension may not fetch, the image's rectangle of a tab capture), analyse them in the
 * offscreen engine, save the result to history and draw it over the image.
 */
export function createImageAnalysis(browser: Browser, engine: EngineLink, history: HistoryStore) {
  return async function analyzeImage(
    info: ImageMenuClick,
    tab: { id?: number; windowId?: number } | undefined,
  ): Promise<AnalyzeFrameResponse & { via?: 'fetch' | 'capture'; notSaved?: string }> {
    if (!info.srcUrl || tab?.id === undefined || tab.windowId === undefined) {
      return { ok: false, error: { code: 'INVALID_ARGUMENT', message: 'no image to analyse' } };
    }
    await engine.ensure();
    const { saveThumbnails } = await loadSettings(browser.storage.local);
    let request: AnalyzeImageRequest;
    let width: number | undefined;
    let height: number | undefined;
    let via: 'fetch' | 'capture' = 'fetch';
    try {
      request = { type: 'faceml/analyze-image', frame: await fetchImage(info.srcUrl), thumbnail: saveThumbnails };
    } catch {
      via = 'capture';
      const [located] = await browser.scripting.executeScript({ target: { tabId: tab.id }, func: locateImage, args: [info.srcUrl] });
      const where = located?.result as { rect: Box; dpr: number } | null | undefined;
      if (!where) return { ok: false, error: { code: 'IMAGE_UNAVAILABLE', message: 'the image could not be read or found on the page' } };
      const frame = await browser.tabs.captureVisibleTab(tab.windowId, { format: 'png' });
      const { rect, dpr } = where;
      request = {
        type: 'faceml/analyze-image',
        frame,
        crop: { x: rect.x * dpr, y: rect.y * dpr, width: rect.width * dpr, height: rect.height * dpr },
        thumbnail: saveThumbnails,
      };
      width = rect.width * dpr;
      height = rect.height * dpr;
    }
    const result = await engine.send<AnalyzeFrameResponse>(request);
    if (!result?.ok) return result ?? { ok: false, error: { code: 'ENGINE_UNAVAILABLE', message: 'no answer from the engine' } };
    let notSaved: string | null = null;
    await history.addImage({
      id: crypto.randomUUID(),
      time: Date.now(),
      pageUrl: info.pageUrl ?? '',
      imageUrl: displayUrl(info.srcUrl),
      width: result.width,
      height: result.height,
      faces: result.faces.map(({ box, emotion, confidence, scores }) => ({ box, emotion, confidence, scores })),
      ...(saveThumbnails && result.thumbnail ? { thumbnail: result.thumbnail } : {}),
    }).catch((err: Error) => {
      // Still show the result; say that it is not in history and why (storage full).
      notSaved = err.message;
    });
    // A capture is in screen pixels of the visible part; a fetched image in its own pixels.
    const show: ShowImageResult = {
      type: 'faceml/show-image-result',
      srcUrl: info.srcUrl,
      faces: result.faces,
      width: width ?? result.width,
      height: height ?? result.height,
      ...(notSaved ? { notSaved } : {}),
    };
    await browser.scripting.executeScript({ target: { tabId: tab.id }, files: ['/content-scripts/content.js'] });
    await browser.tabs.sendMessage(tab.id, show).catch(() => {});
    return { ...result, via, ...(notSaved ? { notSaved } : {}) };
  };
}
