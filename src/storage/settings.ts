import { DETECTOR_NAMES, type DetectorName } from '../core/pipeline';
import type { StorageArea } from './storage-area';

export type OverlayStyle = 'box-label' | 'label' | 'emoji';

/** User settings (settings page), read by the content script, the engine and the history. */
export interface Settings {
  /** Analysed frames per second per tab (adapts down under load). */
  fps: number;
  /** Smallest face the detector looks for, in on-screen (CSS) pixels of the video it is in. */
  minFaceSize: number;
  /** The face detector: BlazeFace (a CNN, finds more faces) or the original Haar cascade. */
  detector: DetectorName;
  /** Below this confidence a face is labelled "uncertain" instead of with an emotion. */
  confidenceThreshold: number;
  /** 0 = raw per-frame labels, closer to 1 = steadier labels that react more slowly. */
  smoothing: number;
  overlayStyle: OverlayStyle;
  /** Sites (host names) where detection may be turned on; empty = any site the user turns it on for. */
  allowedSites: string[];
  retention: { days: number; sessions: number; images: number };
  /** Keep a small thumbnail of analysed images in history. Off unless the user opts in. */
  saveThumbnails: boolean;
  /** Keep a history at all (sessions and analysed images). Off: results are shown, never stored. */
  saveHistory: boolean;
}

export const SETTINGS_KEY = 'faceml:settings';
export const NOTICE_KEY = 'faceml:notice-accepted';

export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({
  fps: 5,
  minFaceSize: 40,
  detector: 'blazeface',
  confidenceThreshold: 0,
  smoothing: 0.75,
  overlayStyle: 'box-label',
  allowedSites: [],
  retention: { days: 30, sessions: 100, images: 500 },
  saveThumbnails: false,
  saveHistory: true,
});

const clamp = (v: unknown, lo: number, hi: number, fallback: number) =>
  typeof v === 'number' && Number.isFinite(v) ? Math.min(hi, Math.max(lo, v)) : fallback;

/** A DNS name: dot-separated labels of letters, digits and inner hyphens (IDNs arrive as xn--). */
const HOST_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/**
 * Host name a user typed ("https://www.youtube.com/watch", "youtube.com") -> "youtube.com"; null
 * when it names no site: the URL parser accepts hosts such as "notasite!!", which no page has.
 */
export function normaliseSite(input: string): string | null {
  const text = input.trim().toLowerCase();
  if (!text) return null;
  let host: string;
  try {
    host = new URL(text.includes('://') ? text : `https://${text}`).hostname;
  } catch {
    return null;
  }
  if (!(host === 'localhost' || IPV4.test(host) || /^\[[0-9a-f:.]+\]$/.test(host) || HOST_NAME.test(host))) return null;
  return host.replace(/^www\./, '') || null;
}

/** Whether a page URL is on one of the allowed sites (subdomains included); true when the list is empty. */
export function siteAllowed(settings: Pick<Settings, 'allowedSites'>, pageUrl: string | undefined): boolean {
  if (settings.allowedSites.length === 0) return true;
  let host: string;
  try {
    host = new URL(pageUrl ?? '').hostname.replace(/^www\./, '');
  } catch {
    return false;
  }
  return settings.allowedSites.some((site) => host === site || host.endsWith(`.${site}`));
}

/** Any stored or submitted value -> valid settings (unknown keys dropped, numbers clamped). */
export function sanitiseSettings(raw: unknown): Settings {
  const r = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const d = DEFAULT_SETTINGS;
  const ret = (typeof r.retention === 'object' && r.retention !== null ? r.retention : {}) as Record<string, unknown>;
  const styles: OverlayStyle[] = ['box-label', 'label', 'emoji'];
  return {
    fps: clamp(r.fps, 1, 30, d.fps),
    minFaceSize: Math.round(clamp(r.minFaceSize, 20, 200, d.minFaceSize)),
    detector: (DETECTOR_NAMES as readonly unknown[]).includes(r.detector) ? (r.detector as DetectorName) : d.detector,
    confidenceThreshold: clamp(r.confidenceThreshold, 0, 0.95, d.confidenceThreshold),
    smoothing: clamp(r.smoothing, 0, 0.95, d.smoothing),
    overlayStyle: styles.includes(r.overlayStyle as OverlayStyle) ? (r.overlayStyle as OverlayStyle) : d.overlayStyle,
    allowedSites: Array.isArray(r.allowedSites)
      ? [...new Set(r.allowedSites.filter((s): s is string => typeof s === 'string').map(normaliseSite).filter((s): s is string => !!s))]
      : [],
    retention: {
      days: Math.round(clamp(ret.days, 1, 3650, d.retention.days)),
      sessions: Math.round(clamp(ret.sessions, 1, 10_000, d.retention.sessions)),
      images: Math.round(clamp(ret.images, 1, 10_000, d.retention.images)),
    },
    saveThumbnails: r.saveThumbnails === true,
    saveHistory: r.saveHistory !== false,
  };
}

export async function loadSettings(area: StorageArea): Promise<Settings> {
  return sanitiseSettings((await area.get(SETTINGS_KEY))[SETTINGS_KEY]);
}

export async function saveSettings(area: StorageArea, next: Partial<Settings>): Promise<Settings> {
  const merged = sanitiseSettings({ ...(await loadSettings(area)), ...next });
  await area.set({ [SETTINGS_KEY]: merged });
  return merged;
}
