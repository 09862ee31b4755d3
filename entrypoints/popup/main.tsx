import { render } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { browser } from 'wxt/browser';
import { extensionStorage } from '../../src/extension/extension-storage';
import type { LiveSnapshot } from '../../src/extension/protocol';
import { followSettings } from '../../src/extension/settings-client';
import { NOTICE_KEY } from '../../src/storage/settings';
import { extensionApi } from '../../src/ui/extension-api';
import { openSidePanel } from '../../src/ui/open-panel';
import { Popup } from '../../src/ui/Popup';
import { tabStatus, type EngineStatus } from '../../src/ui/status';
import '../../src/ui/theme.css';

const api = extensionApi(browser);
const POLL_MS = 500;

function App() {
  const [tab, setTab] = useState<{ id: number; url?: string; windowId: number } | null>(null);
  const [enabled, setEnabled] = useState(false);
  const [allowed, setAllowed] = useState(true);
  const [engine, setEngine] = useState<EngineStatus | null>(null);
  const [live, setLive] = useState<LiveSnapshot | null>(null);
  // Unknown until storage answers: the toggle stays off until then, so it cannot flash enabled.
  const [notice, setNotice] = useState<boolean | null>(null);
  const [threshold, setThreshold] = useState(0);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // Whether FaceML's button is pinned to the toolbar (Chromium answers; elsewhere: unknown).
  const [pinned, setPinned] = useState<boolean | null>(null);

  const refresh = useCallback(async (tabId: number) => {
    const state = await api.tabState(tabId).catch(() => null);
    if (state) {
      setEnabled(state.enabled);
      setAllowed(state.allowed);
    }
    setEngine((await api.engineStatus()) ?? state?.engine ?? null);
    setLive(state?.live ?? null);
  }, []);

  useEffect(() => {
    void extensionStorage(browser).local.get(NOTICE_KEY).then((s) => setNotice(s[NOTICE_KEY] === true));
    followSettings(browser, (s) => setThreshold(s.confidenceThreshold));
    const action = (browser as unknown as { action?: { getUserSettings?: () => Promise<{ isOnToolbar: boolean }> } }).action;
    void action?.getUserSettings?.().then((u) => setPinned(u.isOnToolbar), () => setPinned(null));
    let timer: ReturnType<typeof setInterval>;
    void api.activeTab().then((t) => {
      if (t?.id === undefined) return;
      setTab({ id: t.id, url: t.url, windowId: t.windowId });
      void refresh(t.id);
      timer = setInterval(() => void refresh(t.id!), POLL_MS);
    });
    return () => clearInterval(timer);
  }, []);

  const status = tabStatus({ url: tab?.url, enabled, allowed, engine, live });
  return (
    <Popup
      status={tab ? status : { kind: 'unavailable', text: 'No active tab.' }}
      enabled={enabled}
      live={live}
      threshold={threshold}
      noticeAccepted={notice}
      pinned={pinned}
      busy={busy || !tab}
      error={error}
      onAcceptNotice={() => void extensionStorage(browser).local.set({ [NOTICE_KEY]: true }).then(() => setNotice(true))}
      onToggle={async () => {
        if (!tab) return;
        setBusy(true);
        setError(null);
        const answer = await api.toggle(tab.id);
        if (!answer.ok) setError(`Could not switch detection: ${answer.error.message}`);
        await refresh(tab.id);
        setBusy(false);
      }}
      onOpenPanel={() => tab && void openSidePanel(browser, tab.windowId).then(() => window.close(), (err: Error) => setError(err.message))}
      onOpenWebcam={() => void browser.tabs.create({ url: browser.runtime.getURL('/webcam.html' as never) }).then(() => window.close())}
      onOpenSettings={() => void browser.runtime.openOptionsPage().then(() => window.close())}
      onAllowFrames={async (origin) => {
        if (!tab) return;
        setError(null);
        // Any port of that host: match patterns take no port. Asked from this click (a user gesture).
        const { protocol, hostname } = new URL(origin);
        const granted = await browser.permissions.request({ origins: [`${protocol}//${hostname}/*`] }).catch((err: Error) => (setError(err.message), false));
        if (!granted) return;
        const answer = await api.reachFrames(tab.id);
        if (!answer.ok) setError(`Could not reach the frame: ${answer.error.message}`);
        await refresh(tab.id);
      }}
    />
  );
}

render(<App />, document.getElementById('app')!);
