import { render } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { browser } from 'wxt/browser';
import { extensionStorage } from '../../src/extension/extension-storage';
import type { LiveSnapshot } from '../../src/extension/protocol';
import { followSettings } from '../../src/extension/settings-client';
import type { DeletedSession } from '../../src/storage/history';
import type { ImageRecord, SessionInfo } from '../../src/storage/schema';
import { download } from '../../src/ui/download';
import { exposeTestHooks } from '../../src/extension/test-hooks';
import { extensionApi } from '../../src/ui/extension-api';
import { SidePanel } from '../../src/ui/SidePanel';
import { tabStatus, type EngineStatus } from '../../src/ui/status';
import '../../src/ui/theme.css';

const api = extensionApi(browser);
exposeTestHooks({ __facemlPanel: api }); // tests reach the same functions the buttons use

function App() {
  const [live, setLive] = useState<LiveSnapshot | null>(null);
  const [liveText, setLiveText] = useState('...');
  const [sessions, setSessions] = useState<SessionInfo[]>([]);
  const [images, setImages] = useState<ImageRecord[]>([]);
  const [threshold, setThreshold] = useState(0);
  const [error, setError] = useState<string | null>(null);

  const loadHistory = useCallback(async () => {
    try {
      setSessions(await api.history.sessions());
      setImages(await api.history.images());
    } catch (err) {
      setError(`Could not read history: ${(err as Error).message}`);
    }
  }, []);

  const pollLive = useCallback(async () => {
    const tab = await api.activeTab();
    if (tab?.id === undefined) return;
    const state = await api.tabState(tab.id).catch(() => null);
    const engine: EngineStatus | null = (await api.engineStatus()) ?? state?.engine ?? null;
    const snapshot = state?.live ?? null;
    setLive(snapshot);
    setLiveText(`${tab.title ?? 'This tab'}: ${tabStatus({ url: tab.url, enabled: !!state?.enabled, allowed: state?.allowed ?? true, engine, live: snapshot }).text}`);
  }, []);

  useEffect(() => {
    void loadHistory();
    followSettings(browser, (s) => setThreshold(s.confidenceThreshold));
    // History changes (new seconds from any tab, deletions) show up without reloading.
    const stopFollowing = extensionStorage(browser).onChanged((changes) => {
      if (Object.keys(changes).some((k) => k === 'faceml:sessions' || k === 'faceml:images')) void loadHistory();
    });
    void pollLive();
    const timer = setInterval(() => void pollLive(), 700);
    return () => {
      clearInterval(timer);
      stopFollowing();
    };
  }, []);

  const guard = (work: () => Promise<unknown>) => async () => {
    setError(null);
    try {
      await work();
    } catch (err) {
      setError((err as Error).message);
    }
    await loadHistory();
  };

  return (
    <SidePanel
      live={live}
      liveText={liveText}
      threshold={threshold}
      sessions={sessions}
      images={images}
      error={error}
      initialView={new URLSearchParams(location.search).get('view') === 'history' ? 'history' : 'live'}
      loadRows={(id) => api.history.sessionRows(id)}
      onDeleteSession={async (id) => {
        let deleted: DeletedSession | null = null;
        await guard(async () => (deleted = await api.history.deleteSession(id)))();
        return deleted;
      }}
      onRestoreSession={(deleted) => guard(() => api.history.restoreSession(deleted))()}
      onDeleteImage={(id) => guard(() => api.history.deleteImage(id))()}
      onDeleteAll={guard(() => api.history.clear())}
      onExport={(format, sessionId) => guard(() => api.exportHistory(format, sessionId))()}
      onSaveImage={async (png, filename) => download(png, filename)}
    />
  );
}

render(<App />, document.getElementById('app')!);
