// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen } from '@testing-library/preact';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LiveSnapshot } from '../../src/extension/protocol';
import { Popup, type PopupProps } from '../../src/ui/Popup';
import { tabStatus } from '../../src/ui/status';

const scores = (top: string) =>
  ({ angry: 0.02, disgust: 0.01, fear: 0.03, happy: 0.04, neutral: 0.05, sad: 0.05, surprise: 0.05, [top]: 0.75 }) as LiveSnapshot['faces'][0]['scores'];
const live: LiveSnapshot = {
  running: true,
  videos: [{ id: 'v1', kind: 'video', mode: 'pixels', notice: null, where: null }],
  faces: [
    { videoId: 'v1', faceId: 1, emotion: 'happy', confidence: 0.75, scores: scores('happy') },
    { videoId: 'v1', faceId: 2, emotion: 'sad', confidence: 0.75, scores: scores('sad') },
  ],
  fps: 4.7,
  sessionId: 'abc',
  historyError: null,
};

function props(over: Partial<PopupProps> = {}): PopupProps {
  return {
    status: tabStatus({ url: 'https://meet.example/', enabled: true, allowed: true, engine: { state: 'ready', progress: 1, detail: 'ready' }, live }),
    enabled: true,
    live,
    threshold: 0,
    noticeAccepted: true,
    busy: false,
    error: null,
    onToggle: vi.fn(),
    onAcceptNotice: vi.fn(),
    onOpenPanel: vi.fn(),
    onOpenWebcam: vi.fn(),
    onOpenSettings: vi.fn(),
    onAllowFrames: vi.fn(),
    ...over,
  };
}

afterEach(cleanup);

/** A live face's row as read: its name and top emotion (the number badge is the overlay's, hidden from readers). */
const faceRow = (n: number) => {
  const summary = document.querySelector(`[data-face="${n}"] summary`);
  return summary ? `${summary.querySelector('.face-name')!.textContent} ${summary.querySelector('.face-top')!.textContent}` : null;
};

describe('Popup', () => {
  it('shows the number of faces and one set of labelled bars per face', () => {
    render(<Popup {...props()} />);
    expect(screen.getByText('Detecting 2 faces')).toBeTruthy();
    expect(faceRow(1)).toMatch(/^Face 1 .* happy 75%$/);
    expect(faceRow(2)).toMatch(/^Face 2 .* sad 75%$/);
    const meters = screen.getAllByRole('meter');
    expect(meters.length).toBe(14);
    expect(meters.find((m) => m.getAttribute('aria-label') === 'happy')!.getAttribute('aria-valuenow')).toBe('75');
    expect(screen.getByRole('button', { name: 'Turn detection off' }).getAttribute('aria-pressed')).toBe('true');
  });

  it('labels faces below the confidence threshold as uncertain', () => {
    render(<Popup {...props({ threshold: 0.8 })} />);
    expect(faceRow(1)).toBe('Face 1 uncertain');
  });

  it('says when history cannot be saved (storage full)', () => {
    render(<Popup {...props({ live: { ...live, historyError: 'Extension storage is full, so this was not saved.' } })} />);
    expect(screen.getByRole('alert').textContent).toMatch(/History: Extension storage is full/);
  });

  it('shows model loading progress', () => {
    const status = tabStatus({ url: 'https://a.example/', enabled: true, allowed: true, engine: { state: 'loading', progress: 0.6, detail: 'loading the face detector' }, live: null });
    render(<Popup {...props({ status, live: null })} />);
    expect(screen.getByText(/Loading the models: loading the face detector/)).toBeTruthy();
    expect(screen.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('60');
  });

  it('explains why a tab cannot be analysed and does not offer the toggle', () => {
    const status = tabStatus({ url: 'chrome://settings', enabled: false, allowed: true, engine: null, live: null });
    render(<Popup {...props({ status, enabled: false, live: null })} />);
    expect(screen.getByText(/browsers protect their own pages/)).toBeTruthy();
    expect((screen.getByRole('button', { name: /Turn detection on/ }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('shows the engine error (e.g. a corrupt model) clearly', () => {
    const status = tabStatus({ url: 'https://a.example/', enabled: true, allowed: true, engine: { state: 'error', progress: 0, detail: 'MODEL_LOAD_FAILED: weights are truncated' }, live: null });
    render(<Popup {...props({ status, live: null })} />);
    expect(screen.getByText(/engine failed to start: MODEL_LOAD_FAILED: weights are truncated/)).toBeTruthy();
  });

  it('shows the first-run notice and keeps the toggle off until it is acknowledged', () => {
    const p = props({ noticeAccepted: false, enabled: false, live: null, status: { kind: 'off', text: 'Detection is off for this tab.' } });
    render(<Popup {...p} />);
    expect(screen.getByText(/Everything stays on this device/)).toBeTruthy();
    expect(screen.getByText(/Art\. 5\(1\)\(f\)/)).toBeTruthy();
    const toggle = screen.getByRole('button', { name: /Turn detection on/ }) as HTMLButtonElement;
    expect(toggle.disabled).toBe(true);
    // The disabled toggle says why, to sighted users and through its description.
    const why = toggle.getAttribute('aria-describedby')!.split(' ').map((id) => document.getElementById(id)!.textContent).join(' ');
    expect(why).toMatch(/choose "I understand" to turn detection on/);
    fireEvent.click(screen.getByRole('button', { name: 'I understand' }));
    expect(p.onAcceptNotice).toHaveBeenCalledOnce();
  });

  it('keeps the toggle off while it does not yet know whether the notice was acknowledged', () => {
    render(<Popup {...props({ noticeAccepted: null, enabled: false, live: null, status: { kind: 'off', text: 'Detection is off for this tab.' } })} />);
    expect(screen.queryByText(/Everything stays on this device/)).toBeNull();
    expect((screen.getByRole('button', { name: /Turn detection on/ }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('tells the user to pin FaceML only while it is not pinned', () => {
    render(<Popup {...props({ pinned: false })} />);
    expect(screen.getByText(/pin FaceML so its button stays in the toolbar/)).toBeTruthy();
    cleanup();
    render(<Popup {...props({ pinned: true })} />);
    expect(screen.queryByText(/pin FaceML/)).toBeNull();
    cleanup();
    render(<Popup {...props({ pinned: null })} />);
    expect(screen.queryByText(/pin FaceML/)).toBeNull();
  });

  it('toggle and side panel buttons call their actions', () => {
    const p = props();
    render(<Popup {...p} />);
    fireEvent.click(screen.getByRole('button', { name: 'Turn detection off' }));
    fireEvent.click(screen.getByRole('button', { name: /Open side panel/ }));
    expect(p.onToggle).toHaveBeenCalledOnce();
    expect(p.onOpenPanel).toHaveBeenCalledOnce();
  });
});

describe('tabStatus', () => {
  const ready = { state: 'ready' as const, progress: 1, detail: 'ready' };
  it('covers off, not allowed, protected video and no video', () => {
    expect(tabStatus({ url: 'https://a.example/', enabled: false, allowed: true, engine: ready, live: null }).kind).toBe('off');
    expect(tabStatus({ url: 'https://a.example/', enabled: false, allowed: false, engine: ready, live: null }).text).toMatch(/allowed sites/);
    const drm = { ...live, faces: [], videos: [{ id: 'v1', kind: 'video' as const, mode: 'pixels' as const, notice: 'FaceML: cannot analyze protected video', where: null }] };
    expect(tabStatus({ url: 'https://a.example/', enabled: true, allowed: true, engine: ready, live: drm })).toEqual({ kind: 'unavailable', text: 'Cannot analyze: cannot analyze protected video' });
    expect(tabStatus({ url: 'https://a.example/', enabled: true, allowed: true, engine: ready, live: { ...live, videos: [], faces: [] } }).text).toMatch(/no playing video/);
  });

  it('names where a source is that cannot be read, a frame FaceML may not read, and a hidden tab', () => {
    const inFrame = { ...live, faces: [], videos: [{ id: 'f3.v1', kind: 'video' as const, mode: 'pixels' as const, notice: 'FaceML: cannot read this video inside a frame', where: 'in a frame from https://x.example' }] };
    expect(tabStatus({ url: 'https://a.example/', enabled: true, allowed: true, engine: ready, live: inFrame }).text).toBe('Cannot analyze a video in a frame from https://x.example: cannot read this video inside a frame');
    const blocked = { ...live, blockedFrames: ['https://player.example'] };
    const text = tabStatus({ url: 'https://a.example/', enabled: true, allowed: true, engine: ready, live: blocked }).text;
    expect(text).toContain('A frame from https://player.example is read from screen captures only');
    expect(text).not.toContain('no playing video');
    expect(tabStatus({ url: 'https://a.example/', enabled: true, allowed: true, engine: ready, live: { ...live, background: true } }).text).toMatch(/^Detecting 2 faces in the background/);
  });

  it('offers the step for a frame FaceML may not read: allowing its site', () => {
    const p = props({ live: { ...live, blockedFrames: ['https://player.example:8443'] } });
    render(<Popup {...p} />);
    fireEvent.click(screen.getByRole('button', { name: 'Allow FaceML to read frames from player.example' }));
    expect(p.onAllowFrames).toHaveBeenCalledWith('https://player.example:8443');
  });
});
