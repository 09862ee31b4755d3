import Papa from 'papaparse';
import { LABELS } from '../core/labels';
import { rowEmotion } from './aggregate';
import type { ImageRecord, SampleRow, SessionInfo } from './schema';

export type HistoryExport = { version: number; sessions: (SessionInfo & { samples: SampleRow[] })[]; images: ImageRecord[] };

export const CSV_COLUMNS = ['kind', 'id', 'time', 'page_url', 'title', 'video', 'face', 'frames', 'emotion', ...LABELS] as const;

/**
 * History as one CSV table (papaparse does the quoting: titles and URLs contain commas and
 * quotes; escapeFormulae puts a ' before a field that starts with = + - @, tab or return, so a
 * page title such as =HYPERLINK(...) stays text in a spreadsheet instead of becoming a formula). One line per face per second of each session ("face-second"), then one line per
 * face of each analysed image ("image-face"). Scores are probabilities 0..1.
 */
export function historyToCsv(history: HistoryExport): string {
  const lines: (string | number)[][] = [];
  for (const s of history.sessions) {
    for (const row of s.samples) {
      lines.push(['face-second', s.id, new Date(row[0] * 1000).toISOString(), s.pageUrl, s.title, row[1], row[2], row[3], rowEmotion(row), ...row.slice(4).map((v) => v / 1000)]);
    }
  }
  for (const img of history.images) {
    img.faces.forEach((f, i) => {
      lines.push(['image-face', img.id, new Date(img.time).toISOString(), img.pageUrl, img.imageUrl, '', i + 1, 1, f.emotion, ...LABELS.map((l) => Number(f.scores[l].toFixed(4)))]);
    });
  }
  return Papa.unparse({ fields: [...CSV_COLUMNS], data: lines }, { newline: '\n', escapeFormulae: true });
}

export function historyToJson(history: HistoryExport): string {
  return JSON.stringify({ exported: new Date().toISOString(), labels: LABELS, ...history }, null, 1);
}
