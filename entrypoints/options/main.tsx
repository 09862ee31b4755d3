import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { browser } from 'wxt/browser';
import { extensionStorage } from '../../src/extension/extension-storage';
import type { ModelMetadata } from '../../src/core/classifier';
import { initTensorflow } from '../../src/core/tf-backend';
import { describeModel, loadModelChoice, MODEL_CHOICE_KEY, setActiveModel, type ModelChoice, type ModelInfo } from '../../src/extension/model-choice';
import { importModel, readPickedFiles } from '../../src/extension/model-import';
import { loadSettings, saveSettings, type Settings } from '../../src/storage/settings';
import { ModelSection } from '../../src/ui/ModelSection';
import { SettingsForm } from '../../src/ui/SettingsForm';
import '../../src/ui/theme.css';

const storage = extensionStorage(browser);
const area = storage.local;
const url = (p: string) => browser.runtime.getURL(p as never);

function App() {
  const [settings, setSettings] = useState<Settings | null>(null);
  const [choice, setChoice] = useState<ModelChoice>({ active: 'builtin', custom: null });
  const [builtin, setBuiltin] = useState<ModelInfo | null>(null);
  useEffect(() => {
    void loadSettings(area).then(setSettings);
    void loadModelChoice(area).then(setChoice);
    void fetch(url('/models/emotion/metadata.json'))
      .then((r) => r.json() as Promise<ModelMetadata>)
      .then((m) => setBuiltin(describeModel(m, 'faceml-emotion')))
      .catch(() => setBuiltin(null));
    return storage.onChanged((changes) => {
      if (changes[MODEL_CHOICE_KEY]) void loadModelChoice(area).then(setChoice);
    });
  }, []);
  if (!settings) return <p>Loading...</p>;
  return (
    <SettingsForm
      settings={settings}
      onSave={async (next) => {
        setSettings(await saveSettings(area, next));
      }}
    >
      <ModelSection
        builtin={builtin}
        choice={choice}
        onImport={async (files) => {
          // tfjs is needed here only to check the model before it is stored.
          await initTensorflow({ wasmPath: url('/wasm/') });
          setChoice(await importModel(area, await readPickedFiles(files), files.map((f) => f.name).join(', ')));
        }}
        onSwitch={async (active) => setChoice(await setActiveModel(area, active))}
      />
    </SettingsForm>
  );
}

render(<App />, document.getElementById('app')!);
