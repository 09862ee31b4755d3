import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { LABELS } from '../core/labels';
import { EMOTION_COLOR, percent } from '../extension/emotion-style';
import type { SampleRow } from '../storage/schema';
import { describeMood, describeParticipant, distribution, moodTrend, type MoodPoint, type Participant } from './history-view';

/**
 * Drawing units of the summary picture: one unit is one CSS pixel, the picture as wide as the
 * panel (measured), so its text is the page's size however narrow the panel is.
 */
const DEFAULT_W = 380;
const NAME_W = 92;
const ROW_H = 18;
const ROW_GAP = 6;
const MOOD_H = 44;
const LEGEND_H = 44;

const clock = (t: number) => new Date(t * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });

/**
 * The story of one session: each participant's dominant emotion second by second (a ribbon per
 * face), the mood over time (pleasant minus unpleasant), and the same in words and a table.
 * The picture is one SVG so it can be exported as an image as it is shown.
 */
export function SessionSummary({ rows, people, title }: { rows: SampleRow[]; people: Participant[]; title: string }) {
  // The panel redraws every 0.7 s (live faces): a session's figures are worked out once per rows.
  const trend = useMemo(() => moodTrend(rows), [rows]);
  const all = useMemo(() => distribution(rows), [rows]);
  const [width, setWidth] = useState(DEFAULT_W);
  const box = useRef<HTMLElement>(null);
  useEffect(() => {
    if (!box.current || typeof ResizeObserver === 'undefined') return;
    const watch = new ResizeObserver(([entry]) => entry.contentRect.width > 0 && setWidth(Math.floor(entry.contentRect.width)));
    watch.observe(box.current);
    return () => watch.disconnect();
  }, []);
  if (people.length === 0) return <p class="muted">No faces were seen in this session.</p>;
  return (
    <figure class="summary" ref={box}>
      <SummaryPicture people={people} trend={trend} title={title} W={Math.max(280, width)} />
      <figcaption>
        <ul class="plain summary-text" aria-label="Summary in words">
          {people.map((p) => (
            <li key={p.key}>{describeParticipant(p)}</li>
          ))}
          <li>{describeMood(trend)}</li>
        </ul>
      </figcaption>
      <div class="table-scroll">
        <table class="shares-table">
          <caption>Share of time per emotion</caption>
          <thead>
            <tr>
              <th scope="col">Emotion</th>
              {people.map((p) => (
                <th scope="col" key={p.key}>
                  {p.name}
                </th>
              ))}
              {people.length > 1 && <th scope="col">All</th>}
            </tr>
          </thead>
          <tbody>
            {LABELS.map((l) => (
              <tr key={l}>
                <th scope="row">{l}</th>
                {people.map((p) => (
                  <td key={p.key}>{percent(p.shares[l])}</td>
                ))}
                {people.length > 1 && <td>{percent(all[l])}</td>}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </figure>
  );
}

function SummaryPicture({ people, trend, title, W }: { people: Participant[]; trend: MoodPoint[]; title: string; W: number }) {
  const t0 = Math.min(...people.flatMap((p) => p.runs.map((r) => r.from)));
  const t1 = Math.max(...people.flatMap((p) => p.runs.map((r) => r.to))) + 1;
  const x = (t: number) => NAME_W + ((t - t0) / Math.max(1, t1 - t0)) * (W - NAME_W - 4);
  const ribbonsH = people.length * (ROW_H + ROW_GAP);
  const moodTop = 24 + ribbonsH + 8;
  const axisY = moodTop + MOOD_H + 14;
  const legendTop = axisY + 10;
  const H = legendTop + LEGEND_H;
  const mid = moodTop + MOOD_H / 2;
  const stretch = trend.length > 1 ? trend[1].t - trend[0].t : t1 - t0;
  const legendColumn = (W + 5) / 4;
  return (
    <svg
      class="summary-picture"
      viewBox={`0 0 ${W} ${H}`}
      width={W}
      height={H}
      role="img"
      aria-label={`Emotion ribbons for ${people.length} face(s) and the mood over time; the same in words below`}
      font-family="system-ui, sans-serif"
      font-size="13"
      fill="currentColor"
    >
      <text x="0" y="14" font-weight="600">
        {title.length > 50 ? `${title.slice(0, 47)}...` : title}
      </text>
      {people.map((p, i) => {
        const y = 24 + i * (ROW_H + ROW_GAP);
        return (
          <g key={p.key} class="ribbon" data-participant={p.name}>
            <text x="0" y={y + 13}>
              {p.name.replace(' (video ', ' v').replace(')', '')}
            </text>
            {p.runs.map((r) => (
              <rect key={r.from} x={x(r.from)} y={y} width={Math.max(1, x(r.to + 1) - x(r.from))} height={ROW_H} fill={EMOTION_COLOR[r.emotion]}>
                <title>{`${p.name}: ${r.emotion}, ${clock(r.from)} to ${clock(r.to + 1)}`}</title>
              </rect>
            ))}
          </g>
        );
      })}
      <text x="0" y={mid + 4}>
        Mood
      </text>
      <text x={NAME_W - 6} y={moodTop + 11} text-anchor="end" fill-opacity="0.7">
        +
      </text>
      <text x={NAME_W - 6} y={moodTop + MOOD_H} text-anchor="end" fill-opacity="0.7">
        −
      </text>
      <line x1={NAME_W} x2={W - 4} y1={mid} y2={mid} stroke="currentColor" stroke-opacity="0.4" />
      {trend.map((m) => {
        const h = (Math.abs(m.mood) * MOOD_H) / 2;
        return (
          <rect key={m.t} class="mood" x={x(m.t) + 1} y={m.mood >= 0 ? mid - h : mid} width={Math.max(1, x(m.t + stretch) - x(m.t) - 2)} height={Math.max(1, h)} fill="currentColor" fill-opacity={m.mood >= 0 ? 0.75 : 0.4}>
            <title>{`${clock(m.t)}: mood ${m.mood >= 0 ? '+' : ''}${Math.round(m.mood * 100)}`}</title>
          </rect>
        );
      })}
      <text x={NAME_W} y={axisY}>
        {clock(t0)}
      </text>
      <text x={W - 4} y={axisY} text-anchor="end">
        {clock(t1)}
      </text>
      {LABELS.map((l, i) => {
        const lx = (i % 4) * legendColumn;
        const ly = legendTop + Math.floor(i / 4) * 20;
        return (
          <g key={l}>
            <rect x={lx} y={ly + 2} width="12" height="12" rx="2" fill={EMOTION_COLOR[l]} />
            <text x={lx + 17} y={ly + 13}>
              {l}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

/**
 * The summary picture as a PNG (what "Export summary image" saves): the SVG as drawn, with the
 * page's text colour and background filled in, since a file has no page around it.
 */
export async function summaryPng(svg: SVGSVGElement, scale = 2): Promise<Blob> {
  const style = getComputedStyle(svg);
  const copy = svg.cloneNode(true) as SVGSVGElement;
  const [, , w, h] = copy.getAttribute('viewBox')!.split(' ').map(Number);
  copy.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  copy.setAttribute('width', String(w));
  copy.setAttribute('height', String(h));
  copy.setAttribute('fill', style.color);
  for (const el of copy.querySelectorAll('[stroke="currentColor"]')) el.setAttribute('stroke', style.color);
  const background = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
  Object.entries({ x: '-8', y: '-8', width: String(w + 16), height: String(h + 16), fill: getComputedStyle(document.body).backgroundColor }).forEach(([k, v]) => background.setAttribute(k, v));
  copy.prepend(background);
  copy.setAttribute('viewBox', `-8 -8 ${w + 16} ${h + 16}`);
  const image = new Image();
  image.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(new XMLSerializer().serializeToString(copy))}`;
  await image.decode();
  const canvas = document.createElement('canvas');
  canvas.width = (w + 16) * scale;
  canvas.height = (h + 16) * scale;
  canvas.getContext('2d')!.drawImage(image, 0, 0, canvas.width, canvas.height);
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('Could not draw the summary image.'))), 'image/png'));
}
