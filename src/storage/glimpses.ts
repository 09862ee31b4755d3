import type { SampleRow } from './schema';

/** Distinct seconds a face must be in view before history keeps it. */
export const MIN_FACE_SECONDS = 2;
/** A face held this long (s) after its last row without reaching MIN_FACE_SECONDS was a glimpse. */
const GLIMPSE_WINDOW_S = 5;

/**
 * Keeps glimpses out of history: a face seen in fewer than MIN_FACE_SECONDS seconds of a session
 * (a false box for a frame, the coarse first picture a codec sends after a cut, someone walking
 * past) is no participant, and counting it made a 2-minute clip of 11 people report 15. A face's
 * rows are held until its second second arrives, then all go on; the live overlay labels glimpses
 * as it labels anyone.
 */
export class GlimpseFilter {
  /** Faces not yet kept: their rows so far. */
  private readonly held = new Map<string, SampleRow[]>();
  private readonly kept = new Set<string>();

  /** Rows to store now, in time order. `final`: the session ends; what is still held is dropped. */
  pass(rows: SampleRow[], final = false): SampleRow[] {
    const out: SampleRow[] = [];
    for (const row of rows) {
      const key = `${row[1]}:${row[2]}`;
      if (this.kept.has(key)) {
        out.push(row);
        continue;
      }
      const held = [...(this.held.get(key) ?? []), row];
      if (new Set(held.map((r) => r[0])).size >= MIN_FACE_SECONDS) {
        this.held.delete(key);
        this.kept.add(key);
        out.push(...held);
      } else this.held.set(key, held);
    }
    const latest = Math.max(...rows.map((r) => r[0]), -Infinity);
    for (const [key, held] of this.held) if (final || latest - held.at(-1)![0] > GLIMPSE_WINDOW_S) this.held.delete(key);
    return out.sort((a, b) => a[0] - b[0]);
  }

  /** Rows held back now (for tests: held rows are not "unsaved", they may never be kept). */
  get holding(): number {
    return [...this.held.values()].reduce((n, rows) => n + rows.length, 0);
  }
}
