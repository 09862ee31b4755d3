import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { LABELS, type Emotion } from '../core/labels';
import { EMOTION_COLOR, percent } from '../extension/emotion-style';
import type { Timeline } from './history-view';

/** Whether this document can draw on a canvas (component tests run without one). */
function canDraw(): boolean {
  try {
    return !!document.createElement('canvas').getContext('2d');
  } catch {
    return false;
  }
}

function useUPlot(make: (el: HTMLElement) => uPlot | null, deps: unknown[]) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!ref.current || !canDraw()) return;
    const plot = make(ref.current);
    const resize = new ResizeObserver(() => plot && ref.current && plot.setSize({ width: ref.current.clientWidth, height: plot.height }));
    resize.observe(ref.current);
    return () => {
      resize.disconnect();
      plot?.destroy();
    };
  }, deps);
  return ref;
}

/** Unix seconds -> local clock time (hh:mm:ss). */
const clockTime = (t: number) => new Date(t * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });

const axisStroke = () => getComputedStyle(document.documentElement).getPropertyValue('--muted').trim() || '#52606d';

/** Each emotion's mean score over time in one session (uPlot lines), with a text legend. */
export function TimelineChart({ data }: { data: Timeline }) {
  const ref = useUPlot(
    (el) =>
      data.x.length < 2
        ? null
        : new uPlot(
            {
              width: el.clientWidth || 320,
              height: 180,
              padding: [12, 28, null, null], // room for a clock label on the last tick
              legend: { show: false },
              scales: { y: { range: [0, 1] } },
              axes: [
                // Clock time only: uPlot's default adds a date line whose first label the panel clips.
                { stroke: axisStroke(), space: 70, values: (_u, ticks) => ticks.map(clockTime) },
                { stroke: axisStroke(), values: (_u, ticks) => ticks.map((t) => percent(t)) },
              ],
              series: [{}, ...LABELS.map((l) => ({ label: l, stroke: EMOTION_COLOR[l], width: 1.5 }))],
            },
            [data.x, ...LABELS.map((l) => data.series[l])],
            el,
          ),
    [data],
  );
  return (
    <figure class="chart" aria-label={`Emotions over time, ${data.x.length} seconds`}>
      <div ref={ref} class="timeline" data-points={data.x.length} />
      {data.x.length < 2 && <p class="muted">Not enough data for a timeline yet.</p>}
      <Legend />
    </figure>
  );
}

/** How often each emotion was the top one in a session (uPlot bars) and the same as text. */
export function DistributionChart({ shares }: { shares: Record<Emotion, number> }) {
  const ref = useUPlot(
    (el) =>
      new uPlot(
        {
          width: el.clientWidth || 320,
          height: 150,
          legend: { show: false },
          scales: { x: { time: false, range: [-0.6, LABELS.length - 0.4] }, y: { range: [0, 1] } },
          axes: [
            { stroke: axisStroke(), splits: () => LABELS.map((_, i) => i), values: () => LABELS.map((l) => l.slice(0, 3)) }, // 4 letters collide in a narrow panel
            { stroke: axisStroke(), values: (_u, ticks) => ticks.map((t) => percent(t)) },
          ],
          series: [
            {},
            ...LABELS.map((l) => ({
              label: l,
              fill: EMOTION_COLOR[l],
              stroke: EMOTION_COLOR[l],
              paths: uPlot.paths.bars!({ size: [0.7, 60], align: 0 }),
              points: { show: false },
            })),
          ],
        },
        [LABELS.map((_, i) => i), ...LABELS.map((l, i) => LABELS.map((_, j) => (i === j ? shares[l] : null)))] as uPlot.AlignedData,
        el,
      ),
    [shares],
  );
  return (
    <figure class="chart" aria-label="Share of time per emotion">
      <div ref={ref} class="distribution" />
      <table class="distribution-table">
        <caption class="sr-only">Share of face-seconds per top emotion</caption>
        <tbody>
          {LABELS.map((l) => (
            <tr key={l}>
              <th scope="row">
                <span class="swatch" style={{ background: EMOTION_COLOR[l] }} />
                {l}
              </th>
              <td>{percent(shares[l])}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}

function Legend() {
  return (
    <figcaption class="legend">
      {LABELS.map((l) => (
        <span key={l}>
          <span class="swatch" style={{ background: EMOTION_COLOR[l] }} />
          {l}
        </span>
      ))}
    </figcaption>
  );
}
