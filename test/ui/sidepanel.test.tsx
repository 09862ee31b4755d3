// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/preact';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LABELS } from '../../src/core/labels';
import { rowEmotion } from '../../src/storage/aggregate';
import { HistoryStore } from '../../src/storage/history';
import type { SampleRow } from '../../src/storage/schema';
import { SidePanel, type SidePanelProps } from '../../src/ui/SidePanel';
import { distribution, timeline } from '../../src/ui/history-view';
import { MemoryArea } from '../helpers/memory-storage';

const T0 = Math.floor(Date.now() / 1000) - 600;
const row = (t: number, face: number, top: number): SampleRow => [t, 1, face, 4, ...LABELS.map((_, i) => (i === top ? 700 : 50))] as SampleRow;

/** Real storage shapes: a store with two sessions and an image, read back the way the panel does. */
async function stored() {
  const store = new HistoryStore(new MemoryArea());
  const rowsA = [...Array.from({ length: 6 }, (_, i) => row(T0 + i, 1, 3)), ...Array.from({ length: 4 }, (_, i) => row(T0 + i, 2, 5))];
  await store.appendSamples({ sessionId: 'a', pageUrl: 'http://127.0.0.1/call.html', title: 'Team call', rows: rowsA });
  await store.appendSamples({ sessionId: 'b', pageUrl: 'http://127.0.0.1/video.html', title: 'Lecture video', rows: [row(T0 + 100, 1, 6), row(T0 + 101, 1, 6)] });
  await store.addImage({
    id: 'img1',
    time: Date.now(),
    pageUrl: 'http://127.0.0.1/images.html',
    imageUrl: 'http://127.0.0.1/face.jpg',
    width: 200,
    height: 200,
    faces: [{ box: { x: 1, y: 1, width: 50, height: 50 }, emotion: 'surprise', confidence: 0.91, scores: Object.fromEntries(LABELS.map((l) => [l, l === 'surprise' ? 0.91 : 0.015])) as never }],
  });
  return { store, rowsA };
}

async function props(over: Partial<SidePanelProps> = {}): Promise<SidePanelProps & { store: HistoryStore; rowsA: SampleRow[] }> {
  const { store, rowsA } = await stored();
  return {
    store,
    rowsA,
    live: null,
    liveText: 'Team call: Detecting 2 faces',
    threshold: 0,
    sessions: await store.sessions(),
    images: await store.images(),
    loadRows: (id) => store.sessionRows(id),
    onDeleteSession: vi.fn(async () => {}),
    onDeleteImage: vi.fn(async () => {}),
    onDeleteAll: vi.fn(async () => {}),
    onExport: vi.fn(async () => {}),
    error: null,
    initialView: 'history',
    ...over,
  };
}

afterEach(cleanup);

describe('SidePanel history', () => {
  it('lists sessions newest first and shows the selected one with its distribution', async () => {
    const p = await props();
    render(<SidePanel {...p} />);
    const select = screen.getByRole('combobox') as HTMLSelectElement;
    expect([...select.options].map((o) => o.textContent)).toEqual([expect.stringContaining('Lecture video'), expect.stringContaining('Team call')]);
    fireEvent.change(select, { target: { value: 'a' } });
    await waitFor(() => expect(screen.getByRole('heading', { name: 'Team call' })).toBeTruthy());
    await waitFor(() => expect(screen.getByText(/2 face\(s\), 10 face-seconds/)).toBeTruthy());
    // 6 happy face-seconds and 4 sad of 10: the table says so in text.
    const table = screen.getByRole('table');
    const cell = (label: string) => within(table).getByText(label).closest('tr')!.querySelector('td')!.textContent;
    expect(cell('happy')).toBe('60%');
    expect(cell('sad')).toBe('40%');
    expect(cell('angry')).toBe('0%');
    expect(screen.getByText(/Analyzed images/)).toBeTruthy();
    expect(screen.getByText(/surprise 91%/)).toBeTruthy();
  });

  it("never draws one session's shares under another's title while rows load", async () => {
    // Session a's rows are held back until released: until then its card must show no table,
    // not the 100%-surprise shares of session b shown before.
    let release = () => {};
    const held = new Promise<void>((r) => (release = r));
    const base = await props();
    const p = { ...base, loadRows: async (id: string) => (id === 'a' ? held.then(() => base.store.sessionRows(id)) : base.store.sessionRows(id)) };
    render(<SidePanel {...p} />);
    await waitFor(() => expect(screen.getByRole('table')).toBeTruthy()); // session b, all surprise
    fireEvent.change(screen.getByRole('combobox'), { target: { value: 'a' } });
    expect(screen.getByRole('heading', { name: 'Team call' })).toBeTruthy();
    expect(screen.queryByRole('table')).toBeNull();
    expect(screen.getByText(/\.\.\. face\(s\), 10 face-seconds/)).toBeTruthy();
    release();
    await waitFor(() => expect(screen.getByRole('table')).toBeTruthy());
    expect(within(screen.getByRole('table')).getByText('happy').closest('tr')!.querySelector('td')!.textContent).toBe('60%');
  });

  it('delete, delete-all (with confirmation) and export call the store actions', async () => {
    const p = await props();
    render(<SidePanel {...p} />);
    await waitFor(() => expect(screen.getByRole('heading', { name: 'Lecture video' })).toBeTruthy());
    fireEvent.click(screen.getByRole('button', { name: /Delete session/ }));
    expect(p.onDeleteSession).toHaveBeenCalledWith('b');
    fireEvent.click(screen.getByRole('button', { name: 'Delete this image result' }));
    expect(p.onDeleteImage).toHaveBeenCalledWith('img1');
    fireEvent.click(screen.getByRole('button', { name: 'Delete all' }));
    expect(p.onDeleteAll).not.toHaveBeenCalled();
    fireEvent.click(screen.getByRole('button', { name: 'Yes, delete everything' }));
    expect(p.onDeleteAll).toHaveBeenCalledOnce();
    fireEvent.click(screen.getByRole('button', { name: 'Export CSV' }));
    fireEvent.click(screen.getByRole('button', { name: 'Export JSON' }));
    expect(p.onExport).toHaveBeenNthCalledWith(1, 'csv');
    expect(p.onExport).toHaveBeenNthCalledWith(2, 'json');
  });

  it('says what to do when there is no history', async () => {
    render(<SidePanel {...await props({ sessions: [], images: [] })} />);
    expect(screen.getByText(/No detection sessions yet/)).toBeTruthy();
    expect(screen.getByText(/Right-click an image/)).toBeTruthy();
  });

  it('switches views with keyboard-reachable tabs and shows live faces', async () => {
    const live = {
      running: true,
      videos: [{ id: 'v1', kind: 'video' as const, mode: 'pixels' as const, notice: null, where: null }],
      faces: [{ videoId: 'v1', faceId: 3, emotion: 'fear' as const, confidence: 0.66, scores: Object.fromEntries(LABELS.map((l) => [l, l === 'fear' ? 0.66 : 0.34 / 6])) as never }],
      fps: 5,
      sessionId: 's',
      historyError: null,
    };
    render(<SidePanel {...await props({ live, initialView: 'live' })} />);
    expect(screen.getByRole('tab', { name: 'Live' }).getAttribute('aria-selected')).toBe('true');
    expect(screen.getByText(/Face 3: .* fear 66%/)).toBeTruthy();
    fireEvent.click(screen.getByRole('tab', { name: 'History' }));
    expect(screen.getByRole('tabpanel').id).toBe('panel-history');
  });
});

describe('history view data', () => {
  it('timeline averages faces per second; distribution counts top emotions', async () => {
    const { rowsA } = await stored();
    const line = timeline(rowsA);
    expect(line.x).toEqual(Array.from({ length: 6 }, (_, i) => T0 + i));
    // seconds with both faces: happy (0.7 + 0.05) / 2
    expect(line.series.happy[0]).toBeCloseTo(0.375, 6);
    expect(line.series.happy[5]).toBeCloseTo(0.7, 6);
    const d = distribution(rowsA);
    expect(d.happy).toBeCloseTo(0.6);
    expect(rowsA.filter((r) => rowEmotion(r) === 'sad').length / rowsA.length).toBeCloseTo(d.sad);
  });
});
