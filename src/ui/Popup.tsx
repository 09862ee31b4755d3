import type { LiveSnapshot } from '../extension/protocol';
import { LiveFaces } from './LiveFaces';
import { ResponsibleUseNotice } from './Notice';
import type { TabStatus } from './status';

export interface PopupProps {
  status: TabStatus;
  enabled: boolean;
  live: LiveSnapshot | null;
  threshold: number;
  /** Whether the responsible-use notice was accepted; null until storage has answered. */
  noticeAccepted: boolean | null;
  busy: boolean;
  error: string | null;
  /** Whether FaceML's button is pinned to the toolbar; null when the browser does not say. */
  pinned?: boolean | null;
  onToggle: () => void;
  onAcceptNotice: () => void;
  onOpenPanel: () => void;
  onOpenWebcam: () => void;
  onOpenSettings: () => void;
  /** Asks the browser for read access to a site's frames (the user's one step for a cross-origin frame). */
  onAllowFrames: (origin: string) => void;
}

/** The toolbar popup: this tab's state, the toggle, live faces, and the way to the side panel. */
export function Popup(p: PopupProps) {
  const canToggle = p.noticeAccepted === true && !p.busy && (p.enabled || p.status.kind === 'off');
  return (
    <main class="popup">
      <div class="row">
        <h1>FaceML</h1>
        <span class="spacer" />
        <button onClick={p.onOpenSettings} aria-label="Settings">
          Settings
        </button>
      </div>
      {p.noticeAccepted === false && <ResponsibleUseNotice onAccept={p.onAcceptNotice} />}
      {p.pinned === false && (
        <p class="card tip" id="pin-tip">
          Tip: pin FaceML so its button stays in the toolbar. Open the puzzle-piece menu (Extensions) at the top right and click the pin next to FaceML.
        </p>
      )}
      <section aria-live="polite" class="card" id="status" data-kind={p.status.kind}>
        <p id="status-text" class={p.status.kind === 'error' ? 'error' : ''}>
          {p.status.text}
        </p>
        {p.status.kind === 'loading' && (
          <div class="progress" role="progressbar" aria-label="Loading the models" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(p.status.progress * 100)}>
            <span style={{ width: `${Math.round(p.status.progress * 100)}%` }} />
          </div>
        )}
        {p.live?.historyError && (
          <p class="error" role="alert">
            History: {p.live.historyError}
          </p>
        )}
        {p.error && (
          <p class="error" role="alert">
            {p.error}
          </p>
        )}
        {p.enabled &&
          (p.live?.blockedFrames ?? []).map((origin) => (
            <button key={origin} class="allow-frames" onClick={() => p.onAllowFrames(origin)}>
              Allow FaceML to read frames from {new URL(origin).hostname}
            </button>
          ))}
        {/* Disabled, the toggle is described by the text that says why (restricted page, site not allowed, notice). */}
        <button id="toggle" class="primary" aria-pressed={p.enabled} aria-describedby={p.noticeAccepted === false ? 'status-text toggle-why' : 'status-text'} disabled={!canToggle} onClick={p.onToggle}>
          {p.enabled ? 'Turn detection off' : 'Turn detection on for this tab'}
        </button>
        {p.noticeAccepted === false && (
          <p id="toggle-why" class="muted">
            Read the notice above and choose "I understand" to turn detection on.
          </p>
        )}
      </section>
      {p.enabled && p.live && <LiveFaces faces={p.live.faces} threshold={p.threshold} />}
      <div class="row">
        <button id="open-panel" onClick={p.onOpenPanel}>
          Open side panel (history, charts)
        </button>
        <button onClick={p.onOpenWebcam}>My webcam</button>
      </div>
    </main>
  );
}
