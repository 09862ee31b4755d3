import type { Box } from '../core/image';
import type { DetectorOptions } from '../core/detector';
import type { Emotion, EmotionScores } from '../core/labels';
import { isSampleRow, type SampleRow } from '../storage/schema';

/**
 * Runtime messages between the extension's contexts. Chrome serialises them like JSON, so
 * frames travel as JPEG data URLs and results as plain objects. Every receiver checks shapes
 * with these guards and ignores anything else.
 */
export interface AnalyzeFrameRequest {
  type: 'faceml/analyze-frame';
  /** Which <video> in the tab: one tracker per video. */
  videoId: string;
  /** JPEG data URL of the (downscaled) frame. */
  frame: string;
  /** Scale from frame pixels back to the video's intrinsic pixels. */
  scale: number;
  /** From the user's settings. */
  options?: FrameOptions;
}

/** Per-request analysis settings (the engine cannot read extension storage itself). */
export interface FrameOptions {
  /** Smallest face to look for, in pixels of the sent frame. */
  minFaceSize?: number;
  /** Tracker smoothing, 0..0.95. */
  smoothing?: number;
}

/**
 * Content script -> service worker: this video cannot be read (cross-origin), so capture the
 * visible tab and analyse the video's rectangle (CSS pixels in the viewport) of it.
 */
export interface AnalyzeCaptureRequest {
  type: 'faceml/analyze-capture';
  videoId: string;
  rect: Box;
  devicePixelRatio: number;
  options?: FrameOptions;
}

/** Service worker -> offscreen document: a tab screenshot and the region to analyse in it. */
export interface AnalyzeScreenshotRequest {
  type: 'faceml/analyze-screenshot';
  tabId: number;
  videoId: string;
  frame: string;
  /** Region in screenshot pixels. */
  crop: Box;
  options?: FrameOptions;
}

/** Service worker -> offscreen document: one still image (optionally a region of it). */
export interface AnalyzeImageRequest {
  type: 'faceml/analyze-image';
  frame: string;
  crop?: Box;
  /** Also return a small JPEG thumbnail (the user opted in to thumbnails in history). */
  thumbnail?: boolean;
}

/** Service worker -> content script: draw an image's result over it. */
export interface ShowImageResult {
  type: 'faceml/show-image-result';
  srcUrl: string;
  faces: FrameFace[];
  width: number;
  height: number;
  /** Set when the result could not be saved to history, with the reason. */
  notSaved?: string;
}

export interface FrameFace {
  faceId: number;
  box: Box;
  emotion: Emotion;
  confidence: number;
  scores: EmotionScores;
}

export type AnalyzeFrameResponse =
  | { ok: true; faces: FrameFace[]; width: number; height: number; ms: number; thumbnail?: string }
  | { ok: false; error: { code: string; message: string } };

export interface OffscreenStatus {
  type: 'faceml/offscreen-status';
  state: 'loading' | 'ready' | 'error';
  /** 0..1 while loading. */
  progress: number;
  detail: string;
  /** The emotion model in use, once ready. */
  model?: string;
  /** The tfjs backend classifying faces, once ready ("wasm" or "webgl"). */
  backend?: string;
}

/** Service worker -> offscreen engine, on request at start: which emotion model to load. */
export interface EngineConfig {
  model: import('./model-choice').ModelChoice;
}

export interface ToggleRequest {
  type: 'faceml/toggle';
  tabId: number;
}

export interface TabStateRequest {
  type: 'faceml/tab-state';
  tabId: number;
}

export interface VideoRemoved {
  type: 'faceml/video-removed';
  videoId: string;
}

export type DetectorSettings = Partial<DetectorOptions>;

/**
 * Content script / webcam page -> service worker: finished seconds of a detection session, for
 * history. Resent until answered with ok (the store ignores rows it already has).
 */
export interface HistorySamples {
  type: 'faceml/history-samples';
  sessionId: string;
  rows: SampleRow[];
}

export type HistorySamplesResponse = { ok: true; saved: number } | { ok: false; error: { code: string; message: string } };

/** Popup / side panel -> content script of a tab: what is detected right now. */
export interface LiveRequest {
  type: 'faceml/live';
}

export interface LiveFace {
  videoId: string;
  faceId: number;
  emotion: Emotion;
  confidence: number;
  scores: EmotionScores;
}

export interface LiveSnapshot {
  running: boolean;
  /** Videos being analysed, and why one cannot be (cross-origin capture, DRM, engine errors). */
  videos: { id: string; mode: 'pixels' | 'capture'; notice: string | null }[];
  faces: LiveFace[];
  /** Analysed frames per second over the last few seconds. */
  fps: number;
  sessionId: string | null;
  /** Why the latest seconds could not be saved to history (e.g. storage full); they are kept and resent. */
  historyError: string | null;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const isFrameOptions = (v: unknown): v is FrameOptions =>
  v === undefined ||
  (isObject(v) &&
    (v.minFaceSize === undefined || (typeof v.minFaceSize === 'number' && v.minFaceSize >= 8 && v.minFaceSize <= 2000)) &&
    (v.smoothing === undefined || (typeof v.smoothing === 'number' && v.smoothing >= 0 && v.smoothing <= 0.95)));

export function isAnalyzeFrameRequest(v: unknown): v is AnalyzeFrameRequest {
  return (
    isFrameOptions((v as { options?: unknown })?.options) &&
    isObject(v) &&
    v.type === 'faceml/analyze-frame' &&
    typeof v.videoId === 'string' &&
    v.videoId.length > 0 &&
    v.videoId.length <= 64 &&
    typeof v.frame === 'string' &&
    v.frame.startsWith('data:image/') &&
    typeof v.scale === 'number' &&
    v.scale > 0 &&
    v.scale < 100
  );
}

const isBox = (v: unknown): v is Box =>
  isObject(v) && [v.x, v.y, v.width, v.height].every((n) => typeof n === 'number' && Number.isFinite(n)) && (v.width as number) > 0 && (v.height as number) > 0;

export function isAnalyzeCaptureRequest(v: unknown): v is AnalyzeCaptureRequest {
  return (
    isFrameOptions((v as { options?: unknown })?.options) &&
    isObject(v) &&
    v.type === 'faceml/analyze-capture' &&
    typeof v.videoId === 'string' &&
    v.videoId.length <= 64 &&
    isBox(v.rect) &&
    typeof v.devicePixelRatio === 'number' &&
    v.devicePixelRatio > 0 &&
    v.devicePixelRatio <= 8
  );
}

export function isAnalyzeScreenshotRequest(v: unknown): v is AnalyzeScreenshotRequest {
  return (
    isFrameOptions((v as { options?: unknown })?.options) &&
    isObject(v) &&
    v.type === 'faceml/analyze-screenshot' &&
    Number.isInteger(v.tabId) &&
    typeof v.videoId === 'string' &&
    typeof v.frame === 'string' &&
    v.frame.startsWith('data:image/') &&
    isBox(v.crop)
  );
}

export function isAnalyzeImageRequest(v: unknown): v is AnalyzeImageRequest {
  return isObject(v) && v.type === 'faceml/analyze-image' && typeof v.frame === 'string' && v.frame.startsWith('data:image/') && (v.crop === undefined || isBox(v.crop));
}

export function isShowImageResult(v: unknown): v is ShowImageResult {
  return isObject(v) && v.type === 'faceml/show-image-result' && typeof v.srcUrl === 'string' && Array.isArray(v.faces) && typeof v.width === 'number' && typeof v.height === 'number';
}

export function isHistorySamples(v: unknown): v is HistorySamples {
  return (
    isObject(v) &&
    v.type === 'faceml/history-samples' &&
    typeof v.sessionId === 'string' &&
    /^[\w-]{1,64}$/.test(v.sessionId) &&
    Array.isArray(v.rows) &&
    v.rows.length <= 10_000 &&
    v.rows.every(isSampleRow)
  );
}

export function isLiveRequest(v: unknown): v is LiveRequest {
  return isObject(v) && v.type === 'faceml/live';
}

export function isVideoRemoved(v: unknown): v is VideoRemoved {
  return isObject(v) && v.type === 'faceml/video-removed' && typeof v.videoId === 'string';
}

export function isOffscreenStatus(v: unknown): v is OffscreenStatus {
  return isObject(v) && v.type === 'faceml/offscreen-status' && typeof v.state === 'string';
}

export function isToggleRequest(v: unknown): v is ToggleRequest {
  return isObject(v) && v.type === 'faceml/toggle' && Number.isInteger(v.tabId);
}

export function isTabStateRequest(v: unknown): v is TabStateRequest {
  return isObject(v) && v.type === 'faceml/tab-state' && Number.isInteger(v.tabId);
}

/** Messages between the offscreen document and the OpenCV sandbox iframe (window.postMessage). */
export type SandboxRequest =
  | { kind: 'init'; cascade: ArrayBuffer }
  | { kind: 'detect'; id: number; width: number; height: number; gray: ArrayBuffer; options?: DetectorSettings };

export type SandboxResponse =
  | { kind: 'ready'; ms: number }
  | { kind: 'init-failed'; message: string }
  | { kind: 'detected'; id: number; boxes: Box[] }
  | { kind: 'detect-failed'; id: number; code: string; message: string };
