import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { LiveSnapshot } from '../extension/protocol';
import type { ImageRecord, SampleRow, SessionInfo } from '../storage/schema';
import type { DeletedSession } from '../storage/history';
import { exportName } from './download';
import { SessionSummary, summaryPng } from './SessionSummary';
import { EMOTION_EMOJI, percent } from '../extension/emotion-style';
import { formatDuration, participants } from './history-view';
import { FaceRow } from './FaceRow';
import { LiveFaces } from './LiveFaces';

export interface SidePanelProps {
  live: LiveSnapshot | null;
  liveText: string;
  threshold: number;
  sessions: SessionInfo[];
  images: ImageRecord[];
  loadRows: (sessionId: string) => Promise<SampleRow[]>;
  /** Resolves to what was deleted (for Undo), or null when nothing was. */
  onDeleteSession: (id: string) => Promise<DeletedSession | null>;
  onRestoreSession: (deleted: DeletedSession) => Promise<void>;
  onDeleteImage: (id: string) => Promise<void>;
  onDeleteAll: () => Promise<void>;
  /** Saves all history, or one session's, as a file. */
  onExport: (format: 'csv' | 'json', sessionId?: string) => Promise<void>;
  onSaveImage: (png: Blob, filename: string) => Promise<void>;
  error: string | null;
  initialView?: 'live' | 'history';
}

const VIEWS = ['live', 'history'] as const;

/** The side panel: live faces of the active tab, and the history with charts and export. */
export function SidePanel(p: SidePanelProps) {
  const [view, setView] = useState<'live' | 'history'>(p.initialView ?? 'live');
  return (
    <main class="sidepanel">
      <h1>FaceML</h1>
      {/* ARIA tabs: Tab reaches the chosen tab only; arrow keys, Home and End move between them. */}
      <div class="tabs" role="tablist" aria-label="Side panel views" onKeyDown={(e) => {
        const next = ({ ArrowRight: 1, ArrowLeft: -1, Home: -VIEWS.length, End: VIEWS.length } as Record<string, number>)[e.key];
        if (next === undefined) return;
        e.preventDefault();
        const to = VIEWS[Math.max(0, Math.min(VIEWS.length - 1, VIEWS.indexOf(view) + next))];
        setView(to);
        document.getElementById(`tab-${to}`)?.focus();
      }}>
        {VIEWS.map((v) => (
          <button key={v} role="tab" id={`tab-${v}`} tabIndex={view === v ? 0 : -1} aria-selected={view === v} aria-controls={`panel-${v}`} onClick={() => setView(v)}>
            {v === 'live' ? 'Live' : 'History'}
          </button>
        ))}
      </div>
      {p.error && (
        <p class="error" role="alert">
          {p.error}
        </p>
      )}
      {view === 'live' ? (
        <section role="tabpanel" id="panel-live" aria-labelledby="tab-live">
          <p aria-live="polite">{p.liveText}</p>
          {p.live?.historyError && (
            <p class="error" role="alert">
              History: {p.live.historyError}
            </p>
          )}
          {p.live?.running && <LiveFaces faces={p.live.faces} threshold={p.threshold} />}
        </section>
      ) : (
        <section role="tabpanel" id="panel-history" aria-labelledby="tab-history">
          <History {...p} />
        </section>
      )}
    </main>
  );
}

function History(p: SidePanelProps) {
  const newestFirst = useMemo(() => [...p.sessions].reverse(), [p.sessions]);
  const [selected, setSelected] = useState<string | null>(null);
  const current = newestFirst.find((s) => s.id === selected) ?? newestFirst[0] ?? null;
  // Rows remember whose they are: right after another session is chosen, the previous
  // session's rows must not be drawn under the new title while the new ones load.
  const [loaded, setLoaded] = useState<{ sessionId: string; rows: SampleRow[] } | null>(null);
  const rows = loaded && loaded.sessionId === current?.id ? loaded.rows : null;
  const [confirmAll, setConfirmAll] = useState(false);
  const [confirmSession, setConfirmSession] = useState<string | null>(null);
  const [undo, setUndo] = useState<DeletedSession | null>(null);
  const summary = useRef<HTMLDivElement>(null);
  // Keyboard focus follows the step: a button that disappears (Delete -> its confirmation ->
  // Undo) hands focus to the next control, not to the page's start.
  const root = useRef<HTMLDivElement>(null);
  const [focusKey, setFocusKey] = useState<string | null>(null);
  // Layout effects: focus moves as the new controls appear, not a frame later (a hidden panel
  // may not paint at all).
  useLayoutEffect(() => {
    if (!focusKey) return;
    root.current?.querySelector<HTMLElement>(`[data-focus="${focusKey}"]`)?.focus();
    setFocusKey(null);
  }, [focusKey]);
  useEffect(() => {
    let live = true;
    if (current) void p.loadRows(current.id).then((r) => live && setLoaded({ sessionId: current.id, rows: r }));
    return () => {
      live = false;
    };
  }, [current?.id, current?.rows]);
  const people = useMemo(() => (rows ? participants(rows) : null), [rows]);

  const deleteSession = async (id: string) => {
    setConfirmSession(null);
    const deleted = await p.onDeleteSession(id);
    if (deleted) setUndo(deleted);
    setFocusKey(deleted ? 'undo' : 'session');
  };
  const restore = async () => {
    if (!undo) return;
    const back = undo;
    setUndo(null);
    await p.onRestoreSession(back);
    setSelected(back.info.id);
    setFocusKey('session');
  };
  const exportImage = async () => {
    const svg = summary.current?.querySelector('svg');
    if (svg && current) await p.onSaveImage(await summaryPng(svg), exportName(current.title || 'session', new Date(current.started), 'png'));
  };

  return (
    <div ref={root}>
      <div class="row">
        <span>All history:</span>
        <button aria-label="Export all history as CSV" onClick={() => void p.onExport('csv')}>
          Export CSV
        </button>
        <button aria-label="Export all history as JSON" onClick={() => void p.onExport('json')}>
          Export JSON
        </button>
        <span class="spacer" />
        {confirmAll ? (
          <span class="row" role="group" aria-label="Confirm deleting all history">
            <span>Delete all history?</span>
            <button class="danger" onClick={() => void p.onDeleteAll().then(() => (setConfirmAll(false), setFocusKey('delete-all')))}>
              Yes, delete everything
            </button>
            <FocusOnMount>
              <button onClick={() => (setConfirmAll(false), setFocusKey('delete-all'))}>Cancel</button>
            </FocusOnMount>
          </span>
        ) : (
          <button class="danger" data-focus="delete-all" onClick={() => setConfirmAll(true)}>
            Delete all
          </button>
        )}
      </div>

      {undo && (
        <p class="card row undo" role="status">
          <span>Deleted "{undo.info.title || 'Untitled session'}".</span>
          <span class="spacer" />
          <button class="primary" data-focus="undo" onClick={() => void restore()}>
            Undo
          </button>
        </p>
      )}

      <h2>Sessions</h2>
      {newestFirst.length === 0 ? (
        <p class="muted">No detection sessions yet. Turn detection on for a tab with a video.</p>
      ) : (
        <>
          <label>
            Session{' '}
            <select data-focus="session" value={current?.id} onChange={(e) => setSelected((e.target as HTMLSelectElement).value)}>
              {newestFirst.map((s) => (
                <option key={s.id} value={s.id}>
                  {new Date(s.started).toLocaleString()} - {s.title || s.pageUrl || 'untitled'}
                </option>
              ))}
            </select>
          </label>
          {current && (
            <div class="card session" data-session={current.id}>
              <h3>{current.title || current.pageUrl || 'Untitled session'}</h3>
              <p class="muted">
                {new Date(current.started).toLocaleString()}, {formatDuration(current.updated - current.started + 1000)}, {people?.length ?? '...'} {people?.length === 1 ? 'face' : 'faces'}
              </p>
              <div ref={summary}>{rows && people && <SessionSummary rows={rows} people={people} title={current.title || current.pageUrl || 'Untitled session'} />}</div>
              <div class="row" role="group" aria-label="This session">
                <button aria-label="Export this session as CSV" onClick={() => void p.onExport('csv', current.id)}>
                  Export CSV
                </button>
                <button aria-label="Export this session as JSON" onClick={() => void p.onExport('json', current.id)}>
                  Export JSON
                </button>
                <button disabled={!rows?.length} aria-label="Export this session's summary as a PNG image" onClick={() => void exportImage()}>
                  Export summary image
                </button>
                <span class="spacer" />
                {confirmSession === current.id ? (
                  <span class="row" role="group" aria-label="Confirm deleting this session">
                    <span>Delete this session?</span>
                    <button class="danger" onClick={() => void deleteSession(current.id)}>
                      Yes, delete it
                    </button>
                    <FocusOnMount>
                      <button onClick={() => (setConfirmSession(null), setFocusKey('delete-session'))}>Cancel</button>
                    </FocusOnMount>
                  </span>
                ) : (
                  <button class="danger" data-focus="delete-session" aria-label={`Delete session ${current.title}`} onClick={() => setConfirmSession(current.id)}>
                    Delete session
                  </button>
                )}
              </div>
            </div>
          )}
        </>
      )}

      <h2>Analyzed images</h2>
      {p.images.length === 0 ? (
        <p class="muted">No images yet. Right-click an image and choose "Analyze emotions in this image".</p>
      ) : (
        <ul class="plain images">
          {[...p.images].reverse().map((img) => (
            <li class="card row" key={img.id} data-image={img.id}>
              {img.thumbnail && <img src={img.thumbnail} alt="" width={48} />}
              <div class="grow">
                {img.faces.length === 0 ? (
                  <div>No face found</div>
                ) : (
                  <ul class="plain faces" aria-label="Faces in this image">
                    {img.faces.map((f, i) => (
                      <FaceRow key={i} data-image-face={i + 1} no={i + 1} name={`Face ${i + 1}`} top={`${EMOTION_EMOJI[f.emotion]} ${f.emotion} ${percent(f.confidence)}`} scores={f.scores} />
                    ))}
                  </ul>
                )}
                <div class="muted" title={img.imageUrl}>
                  {new Date(img.time).toLocaleString()} - {shorten(img.pageUrl || img.imageUrl)}
                </div>
              </div>
              <span class="spacer" />
              <button aria-label="Delete this image result" onClick={() => void p.onDeleteImage(img.id)}>
                Delete
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** Focuses its one child once, when it appears (a confirmation's safe choice, Cancel). */
function FocusOnMount({ children }: { children: ComponentChildren }) {
  const ref = useRef<HTMLSpanElement>(null);
  useLayoutEffect(() => ref.current?.querySelector<HTMLElement>('button, input, select')?.focus(), []);
  return (
    <span ref={ref} style={{ display: 'contents' }}>
      {children}
    </span>
  );
}

const shorten = (url: string) => (url.length > 60 ? `${url.slice(0, 57)}...` : url);
