import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { browser } from 'wxt/browser';
import { loadSettings, saveSettings, type Settings } from '../../src/storage/settings';
import { SettingsForm } from '../../src/ui/SettingsForm';
import '../../src/ui/theme.css';

function App() {
  const [settings, setSettings] = useState<Settings | null>(null);
  useEffect(() => void loadSettings(browser.storage.local).then(setSettings), []);
  if (!settings) return <p>Loading...</p>;
  return (
    <SettingsForm
      settings={settings}
      onSave={async (next) => {
        setSettings(await saveSettings(browser.storage.local, next));
      }}
    />
  );
}

render(<App />, document.getElementById('app')!);
