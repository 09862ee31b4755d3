// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/preact';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LABELS } from '../../src/core/labels';
import { rowEmotion } from '../../src/storage/aggregate';
import { HistoryStore } from '../../src/storage/history';
import type { SampleRow } from '../../src/storage/schema';
import { SidePanel, type SidePanelProps } from '../../src/ui/SidePanel';
import { describeMood, describeParticipant, distribution, moodTrend, participants } from '../../src/ui/history-view';
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
    onDeleteSession: vi.fn(async (id: string) => store.deleteSession(id)),
    onRestoreSession: vi.fn(async (d) => store.restoreSession(d)),
    onDeleteImage: vi.fn(async () => {}),
    onDeleteAll: vi.fn(async () => {}),
    onExport: vi.fn(async () => {}),
    onSaveImage: vi.fn(async () => {}),
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
    await waitFor(() => expect(screen.getByText(/6 s, 2 faces$/)).toBeTruthy());
    // Face 1: 6 happy seconds; face 2: 4 sad ones; all: 6 happy and 4 sad face-seconds of 10.
    const table = screen.getByRole('table');
    expect([...table.querySelectorAll('thead th')].map((th) => th.textContent)).toEqual(['Emotion', 'Face 1', 'Face 2', 'All']);
    const cells = (label: string) => [...within(table).getByText(label).closest('tr')!.querySelectorAll('td')].map((td) => td.textContent);
    expect(cells('happy')).toEqual(['100%', '0%', '60%']);
    expect(cells('sad')).toEqual(['0%', '100%', '40%']);
    expect(cells('angry')).toEqual(['0%', '0%', '0%']);
    // The same in words, and a ribbon per face in the picture.
    expect(screen.getByText('Face 1: 6 s in view; happy 100%.')).toBeTruthy();
    expect(screen.getByText('Face 2: 4 s in view; sad 100%.')).toBeTruthy();
    expect([...document.querySelectorAll('.ribbon')].map((g) => g.getAttribute('data-participant'))).toEqual(['Face 1', 'Face 2']);
    expect(screen.getByText(/Analyzed images/)).toBeTruthy();
    expect(screen.getByText(/surprise 91%/)).toBeTruthy();
    // Each face of an image opens to its seven scores.
    const imageFace = document.querySelector('[data-image-face="1"]')!;
    expect(imageFace.querySelector('.face-name')!.textContent).toBe('Face 1');
    expect(imageFace.querySelectorAll('[role=meter]').length).toBe(7);
    expect(imageFace.querySelector('[aria-label=surprise]')!.getAttribute('aria-valuenow')).toBe('91');
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
    expect(screen.getByText(/\.\.\. faces$/)).toBeTruthy();
    release();
    await waitFor(() => expect(screen.getByRole('table')).toBeTruthy());
    expect(within(screen.getByRole('table')).getByText('happy').closest('tr')!.querySelector('td:last-child')!.textContent).toBe('60%');
  });

  it('deletes a session only after confirmation, and Undo puts it back', async () => {
    const p = await props();
    const { rerender } = render(<SidePanel {...p} />);
    const refresh = async () => rerender(<SidePanel {...p} sessions={await p.store.sessions()} />);
    await waitFor(() => expect(screen.getByRole('heading', { name: 'Lecture video' })).toBeTruthy());
    fireEvent.click(screen.getByRole('button', { name: /Delete session/ }));
    expect(p.onDeleteSession).not.toHaveBeenCalled();
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('button', { name: 'Yes, delete it' })).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: /Delete session/ }));
    fireEvent.click(screen.getByRole('button', { name: 'Yes, delete it' }));
    expect(p.onDeleteSession).toHaveBeenCalledWith('b');
    await waitFor(() => expect(screen.getByRole('status').textContent).toMatch(/Deleted "Lecture video"/));
    await refresh();
    expect((await p.store.sessions()).map((s) => s.id)).toEqual(['a']);
    fireEvent.click(screen.getByRole('button', { name: 'Undo' }));
    await waitFor(() => expect(p.onRestoreSession).toHaveBeenCalledOnce());
    await vi.mocked(p.onRestoreSession).mock.results[0].value;
    await refresh();
    expect((await p.store.sessions()).map((s) => s.id)).toEqual(['a', 'b']);
    expect((await p.store.sessionRows('b')).length).toBe(2);
    await waitFor(() => expect(screen.getByRole('heading', { name: 'Lecture video' })).toBeTruthy());
    expect(screen.queryByRole('button', { name: 'Undo' })).toBeNull();
  });

  it('image delete, delete-all (with confirmation) and export, of everything or of one session', async () => {
    const p = await props();
    render(<SidePanel {...p} />);
    await waitFor(() => expect(screen.getByRole('heading', { name: 'Lecture video' })).toBeTruthy());
    fireEvent.click(screen.getByRole('button', { name: 'Delete this image result' }));
    expect(p.onDeleteImage).toHaveBeenCalledWith('img1');
    fireEvent.click(screen.getByRole('button', { name: 'Delete all' }));
    expect(p.onDeleteAll).not.toHaveBeenCalled();
    fireEvent.click(screen.getByRole('button', { name: 'Yes, delete everything' }));
    expect(p.onDeleteAll).toHaveBeenCalledOnce();
    const [allCsv, sessionCsv] = screen.getAllByRole('button', { name: /as CSV/ });
    const [allJson, sessionJson] = screen.getAllByRole('button', { name: /as JSON/ });
    fireEvent.click(allCsv);
    fireEvent.click(allJson);
    fireEvent.click(sessionCsv);
    fireEvent.click(sessionJson);
    expect(p.onExport).toHaveBeenNthCalledWith(1, 'csv');
    expect(p.onExport).toHaveBeenNthCalledWith(2, 'json');
    expect(p.onExport).toHaveBeenNthCalledWith(3, 'csv', 'b');
    expect(p.onExport).toHaveBeenNthCalledWith(4, 'json', 'b');
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
    const summary = document.querySelector('[data-face="3"] summary')!;
    expect(summary.querySelector('.face-name')!.textContent).toBe('Face 3');
    expect(summary.querySelector('.face-top')!.textContent).toMatch(/fear 66%$/);
    fireEvent.click(screen.getByRole('tab', { name: 'History' }));
    expect(screen.getByRole('tabpanel').id).toBe('panel-history');
  });
});

describe('history view data', () => {
  it('participants in order of appearance with their runs; distribution counts top emotions', async () => {
    const { rowsA } = await stored();
    const people = participants(rowsA);
    expect(people.map((p) => [p.name, p.seconds])).toEqual([
      ['Face 1', 6],
      ['Face 2', 4],
    ]);
    expect(people[0].runs).toEqual([{ from: T0, to: T0 + 5, emotion: 'happy' }]);
    // A gap or a change of top emotion starts a new run.
    const gappy = participants([row(T0, 1, 3), row(T0 + 1, 1, 3), row(T0 + 5, 1, 3), row(T0 + 6, 1, 0)]);
    expect(gappy[0].runs.map((r) => [r.from - T0, r.to - T0, r.emotion])).toEqual([
      [0, 1, 'happy'],
      [5, 5, 'happy'],
      [6, 6, 'angry'],
    ]);
    expect(describeParticipant(participants([row(T0, 1, 3), row(T0 + 1, 1, 3), row(T0 + 2, 1, 5)])[0])).toBe('Face 1: 3 s in view; happy 67%, sad 33%.');
    const d = distribution(rowsA);
    expect(d.happy).toBeCloseTo(0.6);
    expect(rowsA.filter((r) => rowEmotion(r) === 'sad').length / rowsA.length).toBeCloseTo(d.sad);
  });

  it('mood: pleasant minus unpleasant per stretch of time, and in words', () => {
    // 12 s sad, then 12 s happy: the trend goes from negative to positive.
    const rows = [...Array.from({ length: 12 }, (_, i) => row(T0 + i, 1, 5)), ...Array.from({ length: 12 }, (_, i) => row(T0 + 12 + i, 1, 3))];
    const trend = moodTrend(rows, 4);
    expect(trend.map((m) => m.t - T0)).toEqual([0, 6, 12, 18]);
    // sad row: happy 0.05 - (angry+disgust+fear+sad = 0.05*3 + 0.7) = -0.8; happy row: 0.7 - 0.2 = 0.5
    expect(trend.map((m) => Number(m.mood.toFixed(2)))).toEqual([-0.8, -0.8, 0.5, 0.5]);
    expect(describeMood(trend)).toBe('Mood: neutral overall, turning more positive towards the end.');
    expect(describeMood(moodTrend(rows.slice(12), 4))).toBe('Mood: positive overall, steady.');
    expect(describeMood([])).toBe('No mood to report yet.');
  });
});
