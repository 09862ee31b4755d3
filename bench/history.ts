import { LABELS, type EmotionScores } from '../src/core/labels';
import { SecondAggregator } from '../src/storage/aggregate';
import { HistoryStore } from '../src/storage/history';
import { MemoryArea } from '../test/helpers/memory-storage';
import { percentile, round, table } from './stats';

export interface HistoryFigures {
  simulated_hours: number;
  faces: number;
  frames: number;
  rows: number;
  appends: number;
  append_ms_p50: number;
  append_ms_p95: number;
  stored_kb: number;
  wall_seconds: number;
}

/**
 * An hour-long detection session simulated at high speed: 5 analysed frames per second with 4
 * faces go through the content script's per-second aggregation and the service worker's history
 * store (one append every 2 s, as the extension does), on an in-memory storage area with
 * chrome.storage's JSON semantics. Measures the work per append and the stored size.
 */
export async function benchHistory(hours = 1, faces = 4, fps = 5): Promise<{ figures: HistoryFigures; text: string }> {
  const area = new MemoryArea();
  area.delay = false;
  const store = new HistoryStore(area);
  const agg = new SecondAggregator();
  const start = Date.now() - hours * 3_600_000; // within retention
  const appendMs: number[] = [];
  const t0 = performance.now();
  let frames = 0;
  let rows = 0;
  for (let ms = 0; ms < hours * 3_600_000; ms += 1000 / fps) {
    for (let f = 1; f <= faces; f++) {
      const phase = (ms / 60_000 + f) % LABELS.length;
      const scores = Object.fromEntries(LABELS.map((l, i) => [l, i === Math.floor(phase) ? 0.7 : 0.05])) as EmotionScores;
      agg.add(1, f, scores, start + ms);
    }
    frames++;
    if (ms % 2000 === 0 && ms > 0) {
      const batch = agg.take(start + ms);
      const a = performance.now();
      rows += await store.appendSamples({ sessionId: 'bench', pageUrl: 'https://meet.example/abc', title: 'Simulated call', rows: batch });
      appendMs.push(performance.now() - a);
    }
  }
  rows += await store.appendSamples({ sessionId: 'bench', pageUrl: '', title: 'Simulated call', rows: agg.take(0, true) });
  const figures: HistoryFigures = {
    simulated_hours: hours,
    faces,
    frames,
    rows,
    appends: appendMs.length,
    append_ms_p50: round(percentile(appendMs, 50), 2),
    append_ms_p95: round(percentile(appendMs, 95), 2),
    stored_kb: round(JSON.stringify(area.data).length / 1024, 0),
    wall_seconds: round((performance.now() - t0) / 1000, 1),
  };
  const text = [
    `History: a ${hours} h session, ${faces} faces at ${fps} fps, simulated (aggregation + store, in-memory storage)`,
    table(
      ['frames', 'rows stored', 'appends', 'append p50', 'append p95', 'stored', 'wall time'],
      [[frames, rows, figures.appends, `${figures.append_ms_p50} ms`, `${figures.append_ms_p95} ms`, `${figures.stored_kb} KB`, `${figures.wall_seconds} s`]],
    ),
  ].join('\n');
  return { figures, text };
}
