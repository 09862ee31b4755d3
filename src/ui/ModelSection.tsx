import { useState } from 'preact/hooks';
import type { ModelChoice, ModelInfo } from '../extension/model-choice';
import { percent } from '../extension/emotion-style';

export interface ModelSectionProps {
  builtin: ModelInfo | null;
  choice: ModelChoice;
  onImport: (files: File[]) => Promise<void>;
  onSwitch: (active: 'builtin' | 'custom') => Promise<void>;
}

/**
 * A model in one line. Its measured accuracy when the metadata carries one (the figure the README
 * and model card quote, from the same field); otherwise the training run's validation figure.
 */
const describe = (m: ModelInfo) =>
  [
    m.name,
    m.date && `trained ${m.date}`,
    m.evaluation ? `${(m.evaluation.accuracy * 100).toFixed(2)}% on ${m.evaluation.dataset}` : m.accuracy !== null && `validation accuracy ${percent(m.accuracy)}`,
  ]
    .filter(Boolean)
    .join(', ');

/** "Use my own model": import a model folder written by `npm run train`, see which model is active, switch. */
export function ModelSection({ builtin, choice, onImport, onSwitch }: ModelSectionProps) {
  const [files, setFiles] = useState<File[]>([]);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);
  const run = async (work: () => Promise<void>, done: string) => {
    setBusy(true);
    setMessage(null);
    try {
      await work();
      setMessage({ text: done, error: false });
    } catch (err) {
      setMessage({ text: (err as Error).message, error: true });
    } finally {
      setBusy(false);
    }
  };
  const active = choice.active === 'custom' && choice.custom ? `${describe(choice.custom)} (imported)` : builtin ? `${describe(builtin)} (built-in)` : 'built-in model';
  return (
    <section class="card" aria-labelledby="model-title">
      <h2 id="model-title">Emotion model</h2>
      <p>
        Active: <strong id="active-model">{active}</strong>
      </p>
      <p class="muted">
        Use a model you trained with <code>npm run train</code>: choose its <code>model.json</code>, weight files and <code>metadata.json</code>, or a zip of
        the folder. It is checked before use and stored in this browser only.
      </p>
      <div class="row">
        <label>
          Model files:{' '}
          <input
            id="model-files"
            type="file"
            multiple
            accept=".json,.bin,.zip,application/json,application/zip,application/octet-stream"
            onChange={(e) => setFiles([...((e.target as HTMLInputElement).files ?? [])])}
          />
        </label>
        <button class="primary" disabled={busy || files.length === 0} onClick={() => void run(() => onImport(files), 'Model imported and active.')}>
          Use my own model
        </button>
      </div>
      <div class="row" style={{ marginTop: '.5em' }}>
        {choice.active === 'custom' ? (
          <button disabled={busy} onClick={() => void run(() => onSwitch('builtin'), 'Switched to the built-in model.')}>
            Switch back to the built-in model
          </button>
        ) : (
          choice.custom && (
            <button disabled={busy} onClick={() => void run(() => onSwitch('custom'), 'Switched to your imported model.')}>
              Use imported model again ({choice.custom.name})
            </button>
          )
        )}
      </div>
      {busy && <p aria-live="polite">Checking the model...</p>}
      {message && (
        <p role="alert" id="model-message" class={message.error ? 'error' : ''}>
          {message.text}
        </p>
      )}
    </section>
  );
}
