import type { WxtBrowser as Browser } from 'wxt/browser';
import type { EmotionScores } from '../../core/labels';
import { SecondAggregator } from '../../storage/aggregate';
import { GlimpseFilter } from '../../storage/glimpses';
import type { SampleRow } from '../../storage/schema';
import { send } from '../messaging';

/** Unsaved rows kept while the background cannot save them (storage full, worker restarting). */
const MAX_PENDING_ROWS = 20_000;
/** A send that never settles must not stop later flushes. */
const SEND_TIMEOUT_MS = 10_000;

/**
 * One detection session's history on the page side: per-frame scores become per-second rows
 * (SecondAggregator), glimpses left out (GlimpseFilter), which go to the background for
 * storage. Rows stay here until it answers ok: nothing reported is dropped silently.
 */
export class HistoryBuffer {
  private readonly aggregator = new SecondAggregator();
  private readonly glimpses = new GlimpseFilter();
  private pending: SampleRow[] = [];
  private flushing: Promise<void> | null = null;
  /** Why the latest rows could not be saved, until a save succeeds. */
  error: string | null = null;

  constructor(
    private readonly browser: Browser,
    readonly sessionId: string,
  ) {}

  add(video: number, face: number, scores: EmotionScores, timeMs: number): void {
    this.aggregator.add(video, face, scores, timeMs);
  }

  get unsaved(): number {
    return this.pending.length;
  }

  /** Sends finished seconds (every second, when `all`); one flush at a time. */
  flush(all = false): Promise<void> {
    if (this.flushing) return this.flushing;
    // Not `this.flushing ??= (async () => { ... finally { this.flushing = null } })()`: when the
    // body returns without awaiting (nothing to send), its finally runs before the assignment,
    // which then keeps a settled promise forever and no flush ever runs again.
    const run = this.send(all);
    this.flushing = run;
    void run.finally(() => {
      if (this.flushing === run) this.flushing = null;
    });
    return run;
  }

  private async send(all: boolean): Promise<void> {
    this.pending.push(...this.glimpses.pass(this.aggregator.take(Date.now(), all), all));
    if (this.pending.length > MAX_PENDING_ROWS) this.pending.splice(0, this.pending.length - MAX_PENDING_ROWS);
    if (!this.pending.length) return;
    const rows = this.pending.slice();
    const answer = await Promise.race([
      send(this.browser, 'historySamples', { sessionId: this.sessionId, rows }),
      new Promise<null>((r) => setTimeout(() => r(null), SEND_TIMEOUT_MS)),
    ]);
    if (answer?.ok) {
      this.pending.splice(0, rows.length);
      this.error = null;
    } else if (answer && answer.error.code !== 'NO_RECEIVER') {
      this.error = answer.error.message;
    }
  }
}
