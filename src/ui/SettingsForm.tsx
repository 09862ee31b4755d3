import { useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import { DEFAULT_SETTINGS, normaliseSite, type OverlayStyle, type Settings } from '../storage/settings';

export interface SettingsFormProps {
  settings: Settings;
  onSave: (next: Settings) => Promise<void>;
  /** Extra sections (the model chooser). */
  children?: ComponentChildren;
}

const STYLES: { value: OverlayStyle; label: string }[] = [
  { value: 'box-label', label: 'Box and label' },
  { value: 'label', label: 'Label only' },
  { value: 'emoji', label: 'Emoji' },
];

/** The settings page form. Values are validated again when stored (sanitiseSettings). */
export function SettingsForm({ settings, onSave, children }: SettingsFormProps) {
  const [saved, setSaved] = useState<Settings>(settings);
  const [draft, setDraft] = useState<Settings>(settings);
  const [sitesText, setSitesText] = useState(settings.allowedSites.join('\n'));
  // Unsaved: the form differs from what was last saved (sites compared as typed, line by line).
  const sitesOf = (text: string) => text.split(/[\n,]/).map((s) => s.trim()).filter(Boolean);
  const dirty = JSON.stringify({ ...draft, allowedSites: [] }) !== JSON.stringify({ ...saved, allowedSites: [] }) || sitesOf(sitesText).join('\n') !== saved.allowedSites.join('\n');
  const reset = () => {
    setDraft({ ...DEFAULT_SETTINGS, retention: { ...DEFAULT_SETTINGS.retention }, allowedSites: [] });
    setSitesText('');
    setMessage({ text: 'Defaults filled in: save to keep them.', error: false });
  };
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);
  const set = <K extends keyof Settings>(key: K, value: Settings[K]) => setDraft({ ...draft, [key]: value });
  const num = (e: Event) => Number((e.target as HTMLInputElement).value);

  const submit = async (e: Event) => {
    e.preventDefault();
    const lines = sitesOf(sitesText);
    const bad = lines.filter((s) => !normaliseSite(s));
    if (bad.length) {
      setMessage({ text: `Not a site: ${bad.join(', ')}. Enter host names such as meet.google.com, one per line.`, error: true });
      return;
    }
    try {
      await onSave({ ...draft, allowedSites: lines });
      // As stored: host names only (the store normalises the same way).
      const sites = lines.map((l) => normaliseSite(l)!);
      setSaved({ ...draft, allowedSites: sites });
      setSitesText(sites.join('\n'));
      setMessage({ text: 'Saved.', error: false });
    } catch (err) {
      setMessage({ text: `Could not save: ${(err as Error).message}`, error: true });
    }
  };

  return (
    <main class="settings">
      <h1>FaceML settings</h1>
      <form onSubmit={submit}>
        <fieldset class="card">
          <legend>Detection</legend>
          <p>
            <label>
              Frames analyzed per second: <span class="value">{draft.fps}</span>
              <br />
              <input name="fps" type="range" min={1} max={30} step={1} value={draft.fps} onInput={(e) => set('fps', num(e))} />
            </label>
          </p>
          <p>
            <label>
              Face detector:{' '}
              <select name="detector" value={draft.detector} onChange={(e) => set('detector', (e.target as HTMLSelectElement).value as Settings['detector'])}>
                <option value="blazeface">BlazeFace (finds more faces, tilted and turned ones too)</option>
                <option value="haar">Haar cascade (the original FaceML detector)</option>
              </select>
            </label>
          </p>
          <p>
            <label>
              Minimum face size (pixels on screen):{' '}
              <input name="minFaceSize" type="number" min={20} max={200} value={draft.minFaceSize} onInput={(e) => set('minFaceSize', num(e))} />
            </label>
          </p>
          <p>
            <label>
              Confidence threshold (below it a face shows "uncertain"): <span class="value">{Math.round(draft.confidenceThreshold * 100)}%</span>
              <br />
              <input
                name="confidenceThreshold"
                type="range"
                min={0}
                max={0.9}
                step={0.05}
                value={draft.confidenceThreshold}
                onInput={(e) => set('confidenceThreshold', num(e))}
              />
            </label>
          </p>
          <p>
            <label>
              Smoothing (steadier labels, slower to react): <span class="value">{Math.round(draft.smoothing * 100)}%</span>
              <br />
              <input name="smoothing" type="range" min={0} max={0.95} step={0.05} value={draft.smoothing} onInput={(e) => set('smoothing', num(e))} />
            </label>
          </p>
        </fieldset>
        <fieldset class="card">
          <legend>Overlay style</legend>
          {STYLES.map((s) => (
            <label key={s.value} style={{ marginRight: '1em' }}>
              <input type="radio" name="overlayStyle" value={s.value} checked={draft.overlayStyle === s.value} onChange={() => set('overlayStyle', s.value)} /> {s.label}
            </label>
          ))}
        </fieldset>
        <fieldset class="card">
          <legend>Allowed sites</legend>
          <label>
            Sites where detection may be turned on, one per line (empty: any site you turn it on for):
            <br />
            <textarea name="allowedSites" rows={3} cols={40} value={sitesText} onInput={(e) => setSitesText((e.target as HTMLTextAreaElement).value)} />
          </label>
        </fieldset>
        <fieldset class="card">
          <legend>History</legend>
          <p class="row">
            <label>
              Keep for <input name="retentionDays" type="number" min={1} max={3650} value={draft.retention.days} onInput={(e) => set('retention', { ...draft.retention, days: num(e) })} /> days
            </label>
            <label>
              at most <input name="retentionSessions" type="number" min={1} max={10000} value={draft.retention.sessions} onInput={(e) => set('retention', { ...draft.retention, sessions: num(e) })} /> sessions
            </label>
            <label>
              and <input name="retentionImages" type="number" min={1} max={10000} value={draft.retention.images} onInput={(e) => set('retention', { ...draft.retention, images: num(e) })} /> images
            </label>
          </p>
          <label>
            <input name="saveHistory" type="checkbox" checked={draft.saveHistory} onChange={(e) => set('saveHistory', (e.target as HTMLInputElement).checked)} /> Keep a history of
            detection sessions and analyzed images (off: results are shown, never stored)
          </label>
          <br />
          <label>
            <input name="saveThumbnails" type="checkbox" checked={draft.saveThumbnails} onChange={(e) => set('saveThumbnails', (e.target as HTMLInputElement).checked)} /> Keep small
            thumbnails of analyzed images in history
          </label>
        </fieldset>
        <div class="row">
          <button class="primary" type="submit" disabled={!dirty}>
            Save settings
          </button>
          <button type="button" onClick={reset}>
            Reset to defaults
          </button>
          {dirty && <span class="unsaved">Unsaved changes</span>}
          {message && (
            <span role="status" class={message.error ? 'error' : ''}>
              {message.text}
            </span>
          )}
        </div>
      </form>
      {children}
    </main>
  );
}
