import type { WxtBrowser as Browser } from 'wxt/browser';

const CONTENT_SCRIPT = '/content-scripts/content.js';
/** Which frames of each tab run our content script (storage.session: survives a worker restart). */
const TAB_FRAMES_KEY = 'tabFrames';

/** A frame of a tab that runs FaceML's content script. */
export interface ReachedFrame {
  frameId: number;
  origin: string;
}

/** Every tab's reached frames, as stored. */
const storedFrames = async (browser: Browser): Promise<Record<string, ReachedFrame[]>> =>
  ((await browser.storage.session.get(TAB_FRAMES_KEY))[TAB_FRAMES_KEY] as Record<string, ReachedFrame[]> | undefined) ?? {};

/** The frame ids to message for a tab: the top frame always, then the other frames reached. */
export const frameIdsOf = (frames: ReachedFrame[]): number[] => [0, ...frames.map((f) => f.frameId).filter((id) => id !== 0)];

/** The distinct origins of a tab's reached frames. */
export const originsOf = (frames: ReachedFrame[]): string[] => [...new Set(frames.map((f) => f.origin))];

/**
 * Runs in every frame FaceML may script (ISOLATED world, where our content script sets its flag):
 * whether the content script already runs there, and the frame's origin.
 */
function probeFrame(): { running: boolean; origin: string } {
  return { running: (globalThis as { __facemlContentRunning?: boolean }).__facemlContentRunning === true, origin: location.origin };
}

/**
 * Makes sure every frame of the tab that FaceML may script (the top frame through activeTab, the
 * frames of sites the user allowed) runs our content script, injecting it only where none runs:
 * a second injection would replace the running one (WXT invalidates the older script), ending a
 * detection session the user has on. Frames FaceML may not script are left out by the browser;
 * the top frame analyses their on-screen pixels from tab captures instead.
 */
export async function ensureContentScript(browser: Browser, tabId: number): Promise<ReachedFrame[]> {
  const probes = await browser.scripting.executeScript({ target: { tabId, allFrames: true }, func: probeFrame });
  const frames: ReachedFrame[] = [];
  const missing: number[] = [];
  for (const p of probes) {
    const result = p.result as ReturnType<typeof probeFrame> | undefined;
    if (!result) continue;
    frames.push({ frameId: p.frameId, origin: result.origin });
    if (!result.running) missing.push(p.frameId);
  }
  if (missing.length) {
    // A frame that navigated away since the probe fails alone; the others still get the script.
    await Promise.all(missing.map((frameId) => browser.scripting.executeScript({ target: { tabId, frameIds: [frameId] }, files: [CONTENT_SCRIPT] }).catch(() => undefined)));
  }
  await browser.storage.session.set({ [TAB_FRAMES_KEY]: { ...(await storedFrames(browser)), [tabId]: frames } });
  return frames;
}

/** The frames of the tab last seen running our content script (the top frame at least). */
export async function reachedFrames(browser: Browser, tabId: number): Promise<ReachedFrame[]> {
  return (await storedFrames(browser))[tabId] ?? [];
}

/** Forgets a tab's frames (closed, or a new document). */
export async function forgetFrames(browser: Browser, tabId: number): Promise<void> {
  const stored = await storedFrames(browser);
  if (!(tabId in stored)) return;
  delete stored[tabId];
  await browser.storage.session.set({ [TAB_FRAMES_KEY]: stored });
}
