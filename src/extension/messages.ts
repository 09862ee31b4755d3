import type { Box } from '../core/image';
import type { DetectorOptions } from '../core/detector';
import type { Emotion, EmotionScores } from '../core/labels';

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
}

export interface FrameFace {
  faceId: number;
  box: Box;
  emotion: Emotion;
  confidence: number;
  scores: EmotionScores;
}

export type AnalyzeFrameResponse =
  | { ok: true; faces: FrameFace[]; width: number; height: number; ms: number }
  | { ok: false; error: { code: string; message: string } };

export interface OffscreenStatus {
  type: 'faceml/offscreen-status';
  state: 'loading' | 'ready' | 'error';
  /** 0..1 while loading. */
  progress: number;
  detail: string;
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

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function isAnalyzeFrameRequest(v: unknown): v is AnalyzeFrameRequest {
  return (
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
