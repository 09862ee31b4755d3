import type { Box } from '../core/image';
import { LABELS, type Emotion, type EmotionScores } from '../core/labels';

/**
 * What FaceML keeps in extension storage (chrome.storage.local; nothing leaves the device).
 *
 * Compact by design: a video session stores one row per face per second (mean scores), not
 * every frame. Keys:
 *   faceml:meta              { version }
 *   faceml:sessions          SessionInfo[]      (index, newest last)
 *   faceml:session:<id>      SampleRow[]        (one key per session: appends touch one small key)
 *   faceml:images            ImageRecord[]
 * Schema version 1 (before sessions existed) kept { version: 1, images } under "history".
 */
export const SCHEMA_VERSION = 2;
export const META_KEY = 'faceml:meta';
export const SESSIONS_KEY = 'faceml:sessions';
export const IMAGES_KEY = 'faceml:images';
export const LEGACY_HISTORY_KEY = 'history';
export const sessionKey = (id: string) => `faceml:session:${id}`;

/** One analysed image. */
export interface ImageRecord {
  id: string;
  /** ms since epoch */
  time: number;
  pageUrl: string;
  /** The image's URL (data: URLs are shortened; the pixels are not kept). */
  imageUrl: string;
  width: number;
  height: number;
  faces: { box: Box; emotion: Emotion; confidence: number; scores: EmotionScores }[];
  /** Small JPEG data URL, only when the user opted in to thumbnails. */
  thumbnail?: string;
}

/** A detection session: one tab (or the webcam page) from the moment detection was turned on. */
export interface SessionInfo {
  id: string;
  /** ms since epoch of the first and the latest stored second. */
  started: number;
  updated: number;
  pageUrl: string;
  title: string;
  rows: number;
}

/**
 * One face during one second: [unix second, video number, face id, frames seen, then the
 * mean score of each emotion in LABELS order, in thousandths].
 */
export type SampleRow = [number, number, number, number, number, number, number, number, number, number, number];

export interface HistoryV1 {
  version: 1;
  images: ImageRecord[];
}

export function isSampleRow(v: unknown): v is SampleRow {
  return Array.isArray(v) && v.length === 4 + LABELS.length && v.every((n) => Number.isInteger(n) && n >= 0 && n <= 1e11);
}
