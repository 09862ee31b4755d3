import type { EngineStatus, LiveSnapshot } from '../extension/protocol';

export type { EngineStatus };

export interface TabStatusInput {
  /** The tab's URL (undefined when the browser does not tell: detection was never allowed there). */
  url: string | undefined;
  enabled: boolean;
  allowed: boolean;
  engine: EngineStatus | null;
  live: LiveSnapshot | null;
}

export type TabStatus =
  | { kind: 'off'; text: string }
  | { kind: 'unavailable'; text: string }
  | { kind: 'loading'; text: string; progress: number }
  | { kind: 'error'; text: string }
  | { kind: 'detecting'; text: string; faces: number };

/** Pages no extension may script. */
export function isRestrictedUrl(url: string | undefined): boolean {
  return !!url && /^(chrome|edge|about|chrome-extension|moz-extension|devtools|view-source):|^https:\/\/(chrome\.google\.com\/webstore|chromewebstore\.google\.com|addons\.mozilla\.org)/.test(url);
}

/** What the popup says about the current tab. */
export function tabStatus({ url, enabled, allowed, engine, live }: TabStatusInput): TabStatus {
  if (isRestrictedUrl(url)) return { kind: 'unavailable', text: 'Cannot analyze this page: browsers protect their own pages from extensions.' };
  if (!allowed) return { kind: 'unavailable', text: 'This site is not in your allowed sites (settings).' };
  if (!enabled) return { kind: 'off', text: 'Detection is off for this tab.' };
  if (engine?.state === 'error') return { kind: 'error', text: `The detection engine failed to start: ${engine.detail}` };
  if (!engine || engine.state === 'loading') {
    return { kind: 'loading', text: `Loading the models${engine ? `: ${engine.detail}` : '...'}`, progress: engine?.progress ?? 0 };
  }
  const faces = live?.faces.length ?? 0;
  const count = `${faces} ${faces === 1 ? 'face' : 'faces'}`;
  if (live && live.videos.length === 0) return { kind: 'detecting', text: 'Detecting: no playing video on this page yet.', faces: 0 };
  const troubled = live?.videos.find((v) => v.notice);
  if (troubled && faces === 0) return { kind: 'unavailable', text: `Cannot analyze${troubled.where ? ` a ${troubled.kind} ${troubled.where}` : ''}: ${troubled.notice!.replace(/^FaceML:\s*/, '')}` };
  if (live?.background) {
    return { kind: 'detecting', text: `Detecting ${count} in the background (the tab is hidden: about one frame a second; sources read from screen captures wait until it is shown).`, faces };
  }
  // Frames FaceML may not run in are analysed from tab captures (about 2 a second), until allowed.
  const blocked = live?.blockedFrames ?? [];
  if (blocked.length) {
    return { kind: 'detecting', text: `Detecting ${count}. A frame from ${blocked.join(', ')} is read from screen captures only (slower): allow FaceML to read it.`, faces };
  }
  return { kind: 'detecting', text: `Detecting ${count}`, faces };
}
