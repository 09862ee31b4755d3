import type { AnalysisResult, FaceResult } from '../core/pipeline';
import type { TrackedFace } from '../core/tracking';
import type { Emotion, EmotionScores } from '../core/labels';

/** JSON shapes of the REST API (kept compatible with the original Flask server). */
export interface ApiFace {
  box: { x: number; y: number; width: number; height: number };
  emotion: Emotion;
  confidence: number;
  scores: EmotionScores;
  face_id?: number;
}

export interface ApiPrediction {
  faces: ApiFace[];
  /** Emotion of the largest face, or null when there is no face. */
  dominant_emotion: Emotion | null;
  image: { width: number; height: number };
  timing_ms: { detect: number; classify: number; total: number };
  stream_id?: string;
}

const r4 = (v: number) => Math.round(v * 1e4) / 1e4;
const r1 = (v: number) => Math.round(v * 10) / 10;

export function apiFace(face: FaceResult | TrackedFace): ApiFace {
  const scores = Object.fromEntries(Object.entries(face.scores).map(([k, v]) => [k, r4(v)])) as EmotionScores;
  const out: ApiFace = {
    box: { x: Math.round(face.box.x), y: Math.round(face.box.y), width: Math.round(face.box.width), height: Math.round(face.box.height) },
    emotion: face.emotion,
    confidence: r4(face.confidence),
    scores,
  };
  if ('faceId' in face) out.face_id = face.faceId;
  return out;
}

export function apiPrediction(result: AnalysisResult, faces: (FaceResult | TrackedFace)[], totalMs: number): ApiPrediction {
  return {
    faces: faces.map(apiFace),
    dominant_emotion: faces[0]?.emotion ?? null,
    image: result.image,
    timing_ms: { detect: r1(result.timing.detect), classify: r1(result.timing.classify), total: r1(totalMs) },
  };
}
