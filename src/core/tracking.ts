import type { FaceViews } from './classifier';
import { blendSignature, similarity } from './appearance';
import type { Box } from './image';
import { LABELS, topEmotion, type EmotionScores } from './labels';
import type { FaceResult } from './pipeline';

export interface TrackedFace extends FaceResult {
  /** Stable id of this face across the frames of one stream/video. */
  faceId: number;
}

export interface TrackerOptions {
  /** Minimum box overlap (IoU) for a detection to continue a track. */
  minIou: number;
  /**
   * Weight of the history in the score average, 0..1 (0 = no smoothing). Scores are averaged
   * exponentially so a label changes only when the new expression holds for a few frames.
   */
  smoothing: number;
  /** Frames a track survives without a matching detection (brief detector misses). */
  maxMissedFrames: number;
  /**
   * Least appearance similarity (core/appearance.ts) for a detection to continue a track: below
   * it, a face where another was is a different person and starts a new track with fresh scores.
   * 0 turns the check off (box overlap alone).
   */
  minSimilarity: number;
  /**
   * Frames a lost track is remembered after maxMissedFrames: a face found again where it was
   * lost, looking alike, takes its old id back. Detectors lose faces for a second now and then
   * (a turned head, a hand); without this, four people in a call were "Face 20-23" after a minute.
   */
  reviveFrames: number;
}

export const DEFAULT_TRACKER_OPTIONS: Readonly<TrackerOptions> = Object.freeze({
  minIou: 0.3,
  smoothing: 0.75,
  maxMissedFrames: 5,
  minSimilarity: 0.5,
  reviveFrames: 150,
});

/** Boxes overlapping at least this much frame a face alike, so their crops' signatures compare. */
const SAME_FRAMING_IOU = 0.6;

interface Track {
  id: number;
  box: Box;
  scores: EmotionScores;
  missed: number;
  signature?: Float32Array;
  /** Frames this track has been matched in (a young track's signature is not yet settled). */
  seen: number;
}

/**
 * Frames a new track takes its latest crop's signature as it is instead of blending it in: right
 * after a cut, video codecs send a coarse picture and sharpen it over the next frames, so a
 * newcomer's first crops do not look like the later ones; following the latest frame by frame
 * keeps the comparison between neighbours.
 */
const SETTLING_FRAMES = 6;

/**
 * Follows faces across frames by box overlap and smooths their scores, so labels do not
 * flicker. One tracker per stream (REST stream id, or one video element in the extension).
 */
export class FaceTracker {
  private tracks: Track[] = [];
  /** Tracks dropped within the last reviveFrames frames, with the frame they were dropped at. */
  private lost: { track: Track; at: number }[] = [];
  private nextId = 1;
  private frames = 0;
  readonly options: TrackerOptions;

  constructor(options: Partial<TrackerOptions> = {}) {
    this.options = { ...DEFAULT_TRACKER_OPTIONS, ...options };
    const { smoothing, minIou, maxMissedFrames } = this.options;
    if (!(smoothing >= 0 && smoothing < 1)) throw new RangeError(`smoothing must be in [0, 1), got ${smoothing}`);
    if (!(minIou > 0 && minIou <= 1)) throw new RangeError(`minIou must be in (0, 1], got ${minIou}`);
    if (!(Number.isInteger(maxMissedFrames) && maxMissedFrames >= 0)) throw new RangeError(`maxMissedFrames must be a whole number >= 0`);
    if (!(this.options.minSimilarity >= 0 && this.options.minSimilarity < 1)) throw new RangeError(`minSimilarity must be in [0, 1), got ${this.options.minSimilarity}`);
  }

  /**
   * Views to classify the next frame's faces with. With smoothing, frames alternate between the
   * faces as they are and mirrored, and the score average blends the two views: what mirror
   * averaging gives a still image, at one inference per face per frame. Without smoothing
   * nothing blends frames, so each frame gets both views.
   */
  nextViews(): FaceViews {
    if (this.options.smoothing === 0) return 'both';
    return this.frames % 2 === 0 ? 'asIs' : 'mirrored';
  }

  /**
   * Feeds one frame's faces; returns them with face ids and smoothed scores, same order. With
   * `mayStartTracks` false (boxes reused from an earlier detection), a face that continues no
   * track is left out instead of starting one.
   */
  update(faces: FaceResult[], { mayStartTracks = true }: { mayStartTracks?: boolean } = {}): TrackedFace[] {
    this.frames++;
    const pairs: { t: number; f: number; overlap: number }[] = [];
    this.tracks.forEach((track, t) =>
      faces.forEach((face, f) => {
        const overlap = iou(track.box, face.box);
        if (overlap >= this.options.minIou && this.samePerson(track, face, overlap)) pairs.push({ t, f, overlap });
      }),
    );
    pairs.sort((a, b) => b.overlap - a.overlap);
    const trackFor = new Map<number, Track>();
    const usedTracks = new Set<number>();
    for (const { t, f } of pairs) {
      if (usedTracks.has(t) || trackFor.has(f)) continue;
      usedTracks.add(t);
      trackFor.set(f, this.tracks[t]);
    }
    const a = this.options.smoothing;
    const updated = new Set<Track>();
    const result = faces.flatMap((face, f): TrackedFace[] => {
      let track = trackFor.get(f);
      if (!track && !mayStartTracks) return [];
      if (track) {
        for (const label of LABELS) track.scores[label] = a * track.scores[label] + (1 - a) * face.scores[label];
        if (face.signature) {
          // Re-framed by the detector: the old signature was of another crop; start from this one.
          const reframed = iou(track.box, face.box) < SAME_FRAMING_IOU;
          const settled = track.seen >= SETTLING_FRAMES;
          track.signature = track.signature && !reframed && settled ? blendSignature(track.signature, face.signature) : face.signature;
        }
        track.box = face.box;
        track.missed = 0;
        track.seen++;
      } else {
        track = this.revive(face) ?? { id: this.nextId++, box: face.box, scores: { ...face.scores }, missed: 0, signature: face.signature, seen: 1 };
        this.tracks.push(track);
      }
      updated.add(track);
      const scores = { ...track.scores };
      return [{ box: face.box, faceId: track.id, scores, ...topEmotion(scores) }];
    });
    for (const track of this.tracks) if (!updated.has(track)) track.missed++;
    for (const track of this.tracks) if (track.missed > this.options.maxMissedFrames) this.lost.push({ track, at: this.frames });
    this.tracks = this.tracks.filter((t) => t.missed <= this.options.maxMissedFrames);
    this.lost = this.lost.filter((l) => this.frames - l.at < this.options.reviveFrames);
    return result;
  }

  /**
   * A lost track this face continues: the one it overlaps most where it was lost, if it looks
   * alike. Its scores start afresh (the expression may have changed meanwhile); the id stays.
   */
  private revive(face: FaceResult): Track | undefined {
    let best: { i: number; overlap: number } | undefined;
    this.lost.forEach(({ track }, i) => {
      const overlap = iou(track.box, face.box);
      if (overlap >= this.options.minIou && this.looksLike(track, face) && overlap > (best?.overlap ?? 0)) best = { i, overlap };
    });
    if (!best) return undefined;
    const [{ track }] = this.lost.splice(best.i, 1);
    return { id: track.id, box: face.box, scores: { ...face.scores }, missed: 0, signature: face.signature ?? track.signature, seen: track.seen };
  }

  /**
   * Whether a face looks like the person a track follows (true when either has no signature).
   * Signatures are compared only between crops framed alike (boxes overlapping by SAME_FRAMING_IOU):
   * when the detector re-frames a face (a new box after frames classified at an older one), the
   * crop moves and its signature with it, though the person is the same.
   */
  private samePerson(track: Track, face: FaceResult, overlap: number): boolean {
    return overlap < SAME_FRAMING_IOU || this.looksLike(track, face);
  }

  /**
   * Whether a lost track's face and a new one look alike, however each was framed: someone else
   * sitting down where a lost face was (a new speaker's tile) must not take its id. Re-framing
   * can make one person fail this; they then get a new id, as they would with no memory at all.
   */
  private looksLike(track: Track, face: FaceResult): boolean {
    if (!this.options.minSimilarity || !track.signature || !face.signature) return true;
    return similarity(track.signature, face.signature) >= this.options.minSimilarity;
  }

  /** Boxes of the faces currently tracked (for detecting only every few frames). */
  get trackedBoxes(): Box[] {
    return this.tracks.filter((t) => t.missed === 0).map((t) => t.box);
  }

  get size(): number {
    return this.tracks.length;
  }
}

/** Intersection over union of two boxes. */
export function iou(a: Box, b: Box): number {
  const x0 = Math.max(a.x, b.x);
  const y0 = Math.max(a.y, b.y);
  const x1 = Math.min(a.x + a.width, b.x + b.width);
  const y1 = Math.min(a.y + a.height, b.y + b.height);
  const inter = Math.max(0, x1 - x0) * Math.max(0, y1 - y0);
  const union = a.width * a.height + b.width * b.height - inter;
  return union > 0 ? inter / union : 0;
}
