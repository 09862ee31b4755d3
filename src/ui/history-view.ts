import { LABELS, type Emotion } from '../core/labels';
import { rowEmotion } from '../storage/aggregate';
import type { SampleRow } from '../storage/schema';

/** Share of face-seconds in which each emotion was the top one. */
export function distribution(rows: SampleRow[]): Record<Emotion, number> {
  const counts = Object.fromEntries(LABELS.map((l) => [l, 0])) as Record<Emotion, number>;
  for (const r of rows) counts[rowEmotion(r)]++;
  const total = rows.length || 1;
  for (const l of LABELS) counts[l] /= total;
  return counts;
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${s % 60} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** One person (a face id in one video) over a session. */
export interface Participant {
  /** "video:face", as the rows key it. */
  key: string;
  /** What the screens call them: "Face 2", or "Face 2 (video 3)" when the session had several videos. */
  name: string;
  /** Seconds in view. */
  seconds: number;
  /** Share of their seconds in which each emotion was the top one. */
  shares: Record<Emotion, number>;
  /** Runs of seconds with one top emotion, in time order (a gap ends a run). */
  runs: { from: number; to: number; emotion: Emotion }[];
}

/** The session's people, in the order they first appeared. */
export function participants(rows: SampleRow[]): Participant[] {
  const byKey = new Map<string, SampleRow[]>();
  for (const r of [...rows].sort((a, b) => a[0] - b[0])) {
    const key = `${r[1]}:${r[2]}`;
    const own = byKey.get(key);
    if (own) own.push(r);
    else byKey.set(key, [r]);
  }
  const severalVideos = new Set(rows.map((r) => r[1])).size > 1;
  return [...byKey].map(([key, own]) => {
    const runs: Participant['runs'] = [];
    for (const r of own) {
      const emotion = rowEmotion(r);
      const last = runs.at(-1);
      if (last && last.emotion === emotion && r[0] - last.to <= 1) last.to = r[0];
      else runs.push({ from: r[0], to: r[0], emotion });
    }
    const [video, face] = key.split(':');
    return { key, name: `Face ${face}${severalVideos ? ` (video ${video})` : ''}`, seconds: own.length, shares: distribution(own), runs };
  });
}

/** Emotions FER-2013 counts as pleasant and unpleasant (surprise and neutral count as neither). */
const POSITIVE: Emotion[] = ['happy'];
const NEGATIVE: Emotion[] = ['angry', 'disgust', 'fear', 'sad'];

export interface MoodPoint {
  /** unix seconds: start of the stretch */
  t: number;
  /** Mean over the faces in the stretch of P(positive) - P(negative), -1..1. */
  mood: number;
}

/** The session cut into `parts` stretches of equal time, each with its mean mood. */
export function moodTrend(rows: SampleRow[], parts = 12): MoodPoint[] {
  if (rows.length === 0) return [];
  const t0 = Math.min(...rows.map((r) => r[0]));
  const t1 = Math.max(...rows.map((r) => r[0])) + 1;
  const n = Math.max(1, Math.min(parts, t1 - t0));
  const sums = Array.from({ length: n }, () => ({ mood: 0, count: 0 }));
  const score = (r: SampleRow, set: Emotion[]) => set.reduce((s, e) => s + r[4 + LABELS.indexOf(e)], 0) / 1000;
  for (const r of rows) {
    const part = Math.min(n - 1, Math.floor(((r[0] - t0) / (t1 - t0)) * n));
    sums[part].mood += score(r, POSITIVE) - score(r, NEGATIVE);
    sums[part].count++;
  }
  return sums.flatMap((s, i) => (s.count ? [{ t: t0 + Math.floor(((t1 - t0) * i) / n), mood: s.mood / s.count }] : []));
}

/** The trend in words, for the summary's text alternative. */
export function describeMood(trend: MoodPoint[]): string {
  if (trend.length === 0) return 'No mood to report yet.';
  const word = (m: number) => (m > 0.15 ? 'positive' : m < -0.15 ? 'negative' : 'neutral');
  const mean = trend.reduce((s, p) => s + p.mood, 0) / trend.length;
  if (trend.length < 3) return `Mood: ${word(mean)} overall.`;
  const third = Math.max(1, Math.floor(trend.length / 3));
  const start = trend.slice(0, third).reduce((s, p) => s + p.mood, 0) / third;
  const end = trend.slice(-third).reduce((s, p) => s + p.mood, 0) / third;
  const change = end - start > 0.15 ? ', turning more positive towards the end' : start - end > 0.15 ? ', turning more negative towards the end' : ', steady';
  return `Mood: ${word(mean)} overall${change}.`;
}

/** One participant in words: "Face 1: 4 min 10 s in view; happy 62%, neutral 20%, sad 10%." (top three). */
export function describeParticipant(p: Participant): string {
  const top = LABELS.map((l) => [l, p.shares[l]] as const)
    .filter(([, share]) => share > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([l, share]) => `${l} ${Math.round(share * 100)}%`);
  return `${p.name}: ${formatDuration(p.seconds * 1000)} in view; ${top.join(', ')}.`;
}
