import { LABELS, type EmotionScores } from '../core/labels';
import type { SampleRow } from './schema';

/**
 * Turns per-frame results into the per-second rows history keeps: for each face, the mean of
 * its scores over each wall-clock second. Runs where frames are produced (the content script),
 * so only a few rows a second cross to the service worker.
 */
export class SecondAggregator {
  private readonly open = new Map<string, { second: number; video: number; face: number; n: number; sums: number[] }>();
  private readonly done: SampleRow[] = [];

  add(video: number, face: number, scores: EmotionScores, timeMs: number): void {
    const second = Math.floor(timeMs / 1000);
    const key = `${video}:${face}`;
    let acc = this.open.get(key);
    if (acc && acc.second !== second) {
      this.done.push(toRow(acc));
      acc = undefined;
    }
    if (!acc) this.open.set(key, (acc = { second, video, face, n: 0, sums: LABELS.map(() => 0) }));
    acc.n++;
    LABELS.forEach((label, i) => (acc!.sums[i] += scores[label]));
  }

  /** Rows of seconds that have ended by `timeMs` (all rows when `all`); they leave the aggregator. */
  take(timeMs: number, all = false): SampleRow[] {
    const second = Math.floor(timeMs / 1000);
    for (const [key, acc] of this.open) {
      if (all || acc.second < second) {
        this.done.push(toRow(acc));
        this.open.delete(key);
      }
    }
    return this.done.splice(0);
  }
}

function toRow(acc: { second: number; video: number; face: number; n: number; sums: number[] }): SampleRow {
  return [acc.second, acc.video, acc.face, acc.n, ...acc.sums.map((s) => Math.round((s / acc.n) * 1000))] as SampleRow;
}

/** Mean scores of a row as named probabilities. */
export function rowScores(row: SampleRow): EmotionScores {
  const scores = {} as EmotionScores;
  LABELS.forEach((label, i) => (scores[label] = row[4 + i] / 1000));
  return scores;
}

/** The emotion with the highest mean score in a row. */
export function rowEmotion(row: SampleRow): (typeof LABELS)[number] {
  let best = 0;
  for (let i = 1; i < LABELS.length; i++) if (row[4 + i] > row[4 + best]) best = i;
  return LABELS[best];
}
