import { LABELS, type Emotion } from '../core/labels';
import { rowEmotion } from '../storage/aggregate';
import type { SampleRow } from '../storage/schema';

export interface Timeline {
  /** unix seconds */
  x: number[];
  /** Mean score over the faces seen in each second, per emotion (0..1). */
  series: Record<Emotion, number[]>;
}

/** A session's rows -> one point per second: each emotion's mean score over the faces present. */
export function timeline(rows: SampleRow[]): Timeline {
  const bySecond = new Map<number, SampleRow[]>();
  for (const r of rows) bySecond.set(r[0], [...(bySecond.get(r[0]) ?? []), r]);
  const x = [...bySecond.keys()].sort((a, b) => a - b);
  const series = Object.fromEntries(LABELS.map((l) => [l, [] as number[]])) as unknown as Record<Emotion, number[]>;
  for (const t of x) {
    const group = bySecond.get(t)!;
    LABELS.forEach((label, i) => series[label].push(group.reduce((sum, r) => sum + r[4 + i], 0) / group.length / 1000));
  }
  return { x, series };
}

/** Share of face-seconds in which each emotion was the top one. */
export function distribution(rows: SampleRow[]): Record<Emotion, number> {
  const counts = Object.fromEntries(LABELS.map((l) => [l, 0])) as Record<Emotion, number>;
  for (const r of rows) counts[rowEmotion(r)]++;
  const total = rows.length || 1;
  for (const l of LABELS) counts[l] /= total;
  return counts;
}

export function facesIn(rows: SampleRow[]): number {
  return new Set(rows.map((r) => `${r[1]}:${r[2]}`)).size;
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${s % 60} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}
