import type { Box } from '../core/image';
import type { DetectorOptions } from '../core/detector';
import type { DetectorName } from '../core/pipeline';
import type { Emotion, EmotionScores } from '../core/labels';
import { isSampleRow, type SampleRow } from '../storage/schema';
import type { Settings } from '../storage/settings';
import type { ModelChoice } from './model-choice';

/**
 * Every runtime message between the extension's contexts, declared once: its name, who may send
 * it, its request and its response. Chrome serialises messages like JSON, so frames travel as
 * JPEG data URLs and results as plain objects. On the wire a message is `{ type: 'faceml/<name>',
 * ...request }`; the literal appears nowhere but here (`wireType`). Every receiver checks the
 * request with its guard below and the sender with `from` (messaging.ts) before any handler runs.
 */

/** The one failure shape of every response. */
export interface Failure {
  ok: false;
  error: { code: string; message: string };
}
/** Every response: `{ ok: true, ...value }` or a Failure. */
export type Result<T extends object = object> = ({ ok: true } & T) | Failure;

export const failure = (code: string, message: string): Failure => ({ ok: false, error: { code, message } });

/**
 * Which context sent a message (messaging.ts tells them apart by sender id, tab and URL):
 * - `content`: FaceML's content script in a web page of a tab;
 * - `page`: one of FaceML's own pages (popup, side panel, settings, webcam tab);
 * - `engine`: the offscreen document that runs the models (Chrome);
 * - `background`: the service worker (Chrome) or background page (Firefox).
 */
export type SenderKind = 'content' | 'page' | 'engine' | 'background';

// ---- payloads ----

/** Per-request analysis settings (the engine cannot read extension storage itself). */
export interface FrameOptions {
  /** Smallest face to look for, in pixels of the sent frame. */
  minFaceSize?: number;
  /** Side of the tiles a large frame is searched in (BlazeFace), frame px. */
  tileSide?: number;
  /** Tracker smoothing, 0..0.95. */
  smoothing?: number;
}

export interface FrameFace {
  faceId: number;
  box: Box;
  emotion: Emotion;
  confidence: number;
  scores: EmotionScores;
}

/** What the engine found in a frame or image; boxes in the pixels the sender asked for. */
export interface FrameAnalysis {
  faces: FrameFace[];
  width: number;
  height: number;
  ms: number;
  /** Small JPEG of the image, when asked for (the user opted in to thumbnails in history). */
  thumbnail?: string;
}

export interface EngineStatus {
  state: 'loading' | 'ready' | 'error';
  /** 0..1 while loading. */
  progress: number;
  detail: string;
  /** The emotion model in use, once ready. */
  model?: string;
  /** The tfjs backend classifying faces, once ready ("wasm" or "webgl"). */
  backend?: string;
  /** The face detector in use, once ready. */
  detector?: DetectorName;
}

export interface LiveFace {
  videoId: string;
  faceId: number;
  emotion: Emotion;
  confidence: number;
  scores: EmotionScores;
}

/** One picture FaceML analyses in a tab. */
export interface LiveSource {
  id: string;
  /** A <video>, a <canvas> drawn like a video, or a frame FaceML cannot run in (its on-screen pixels). */
  kind: 'video' | 'canvas' | 'frame';
  /** 'pixels': read directly; 'capture': from tab captures, about 2 a second. */
  mode: 'pixels' | 'capture';
  /** Why it cannot be analysed now (DRM, covered, engine errors), if so. */
  notice: string | null;
  /** Where it is, when not plainly in the page: "in a shadow root", "in a frame from https://x.example". */
  where: string | null;
}

/** What a tab's content scripts detect now (popup and side panel, through the background). */
export interface LiveSnapshot {
  running: boolean;
  /** The pictures being analysed, in every frame FaceML runs in. */
  videos: LiveSource[];
  faces: LiveFace[];
  /** Analysed frames per second over the last few seconds. */
  fps: number;
  sessionId: string | null;
  /** Why the latest seconds could not be saved to history (e.g. storage full); they are kept and resent. */
  historyError: string | null;
  /** The tab is in the background (or its video in picture-in-picture): analysed about once a second. */
  background?: boolean;
  /**
   * Origins of frames in the tab FaceML may not run in (no permission for their site): their
   * pictures are analysed from tab captures only, until the user allows the site (popup).
   */
  blockedFrames?: string[];
}

/** What a content script learns of its place at start (it cannot see it itself). */
export interface ContentPlace {
  /** The frame it runs in (0: the tab's top document). */
  frameId: number;
  /** The tab's detection session when detection is on (a frame loaded later joins it), else null. */
  sessionId: string | null;
  /** Origins of the tab's frames that run FaceML (their pictures are theirs to analyse). */
  reachedOrigins: string[];
}

/** The popup's view of a tab. */
export interface TabState {
  enabled: boolean;
  /** What the page detects now (faces, frame rate, notices); null when detection is off. */
  live: LiveSnapshot | null;
  engine: EngineStatus | null;
  /** False when the allowed-sites setting excludes this tab's site. */
  allowed: boolean;
}

export type DetectorSettings = Partial<DetectorOptions>;

// ---- the protocol ----

interface Message<Req extends object, Res extends object, From extends SenderKind> {
  request: Req;
  response: Result<Res>;
  from: From;
}

/**
 * name -> request, response value, and the contexts allowed to send it. The receiving context
 * is the one whose handler table (messaging.ts `listen`) has the name.
 */
export interface Protocol {
  /** Content script / webcam page -> engine: one video frame. */
  analyzeFrame: Message<
    {
      /** Which video in the tab: one stream (tracker) per video. */
      videoId: string;
      /** JPEG data URL of the (downscaled) frame. */
      frame: string;
      /** Scale from frame pixels back to the video's intrinsic pixels. */
      scale: number;
      options?: FrameOptions;
    },
    FrameAnalysis,
    'content' | 'page'
  >;
  /**
   * Content script -> background: this video cannot be read (cross-origin), so capture the
   * visible tab and analyse the video's rectangle of it (CSS pixels of the viewport).
   */
  analyzeCapture: Message<{ videoId: string; rect: Box; devicePixelRatio: number; options?: FrameOptions }, FrameAnalysis, 'content'>;
  /** Background -> engine: a tab screenshot and the region (screenshot pixels) to analyse as a tab video's frame. */
  analyzeScreenshot: Message<{ tabId: number; videoId: string; frame: string; crop: Box; options?: FrameOptions }, FrameAnalysis, 'background'>;
  /** Background -> engine: one still image, optionally a region of it. */
  analyzeImage: Message<{ frame: string; crop?: Box; thumbnail?: boolean }, FrameAnalysis, 'background'>;
  /** Content script -> engine: a video went away; forget its stream. */
  videoRemoved: Message<{ videoId: string }, object, 'content' | 'page'>;
  /**
   * Content script / webcam page -> background: finished seconds of a detection session, for
   * history. Resent until answered ok (the store ignores rows it already has).
   */
  historySamples: Message<{ sessionId: string; rows: SampleRow[] }, { saved: number }, 'content' | 'page'>;
  /** Content script / webcam page -> background: the engine went away; start it again. */
  ensureEngine: Message<object, object, 'content' | 'page'>;
  /** Engine -> background: loading progress, readiness, errors. */
  engineStatusChanged: Message<EngineStatus, object, 'engine'>;
  /** Engine -> background, at start: which emotion model to load (the engine cannot read storage). */
  engineConfig: Message<object, { model: ModelChoice; detector: DetectorName }, 'engine'>;
  /** Popup, side panel, settings -> engine: its status now. */
  engineStatus: Message<object, EngineStatus, 'page'>;
  /** Popup -> background: turn detection on or off for a tab. */
  toggle: Message<{ tabId: number }, { enabled: boolean }, 'page'>;
  /** Popup, side panel -> background: a tab's state. */
  tabState: Message<{ tabId: number }, TabState, 'page'>;
  /**
   * Content script -> background: the user's settings. Content scripts cannot read extension
   * storage (the background limits it to trusted contexts), so settings reach them by message.
   */
  contentSettings: Message<object, { settings: Settings } & ContentPlace, 'content'>;
  /**
   * Content script (top frame) -> background: the page's frames changed (a frame added or loaded);
   * run the content script in every frame FaceML may script. Popup -> background: the same
   * for a tab, after the user allowed another site's frames.
   */
  reachFrames: Message<{ tabId?: number }, { reachedOrigins: string[] }, 'content' | 'page'>;
  /** Background -> content script: the settings changed. */
  applySettings: Message<{ settings: Settings }, object, 'background'>;
  /** Background -> content script: start or stop sampling; every frame of a tab joins one history session. */
  setEnabled: Message<{ enabled: boolean; sessionId?: string }, object, 'background'>;
  /**
   * Background -> content script: scroll a right-clicked image into view and say, once that is
   * painted, where it is on screen (CSS px) for a tab capture; found: false when it is not there.
   */
  locateImage: Message<{ srcUrl: string }, { found: false } | { found: true; rect: Box; devicePixelRatio: number }, 'background'>;
  /** Background -> content script: what is detected now. */
  live: Message<object, LiveSnapshot, 'background'>;
  /** Background -> content script: draw an image's result over it. */
  showImageResult: Message<
    {
      srcUrl: string;
      faces: FrameFace[];
      width: number;
      height: number;
      /** Set when the result could not be saved to history, with the reason. */
      notSaved?: string;
    },
    object,
    'background'
  >;
  /**
   * Background -> content script, around a tab capture: hide FaceML's overlays (and wait until
   * that is painted) so that no label ends up in the picture, then show them again.
   */
  prepareCapture: Message<{ hidden: boolean }, object, 'background'>;
}

export type MessageName = keyof Protocol;
export type RequestOf<N extends MessageName> = Protocol[N]['request'];
export type ResponseOf<N extends MessageName> = Protocol[N]['response'];

/** Wire types: the only place the 'faceml/...' strings are written. */
const WIRE_TYPES: { [N in MessageName]: `faceml/${string}` } = {
  analyzeFrame: 'faceml/analyze-frame',
  analyzeCapture: 'faceml/analyze-capture',
  analyzeScreenshot: 'faceml/analyze-screenshot',
  analyzeImage: 'faceml/analyze-image',
  videoRemoved: 'faceml/video-removed',
  historySamples: 'faceml/history-samples',
  ensureEngine: 'faceml/ensure-engine',
  engineStatusChanged: 'faceml/offscreen-status',
  engineConfig: 'faceml/engine-config',
  engineStatus: 'faceml/engine-status',
  toggle: 'faceml/toggle',
  tabState: 'faceml/tab-state',
  contentSettings: 'faceml/content-settings',
  reachFrames: 'faceml/reach-frames',
  locateImage: 'faceml/locate-image',
  applySettings: 'faceml/apply-settings',
  setEnabled: 'faceml/set-enabled',
  live: 'faceml/live',
  showImageResult: 'faceml/show-image-result',
  prepareCapture: 'faceml/prepare-capture',
};
const NAME_OF_TYPE = new Map<string, MessageName>(Object.entries(WIRE_TYPES).map(([name, type]) => [type, name as MessageName]));

export const MESSAGE_NAMES = Object.keys(WIRE_TYPES) as MessageName[];
export const wireType = (name: MessageName): string => WIRE_TYPES[name];

/** Who may send each message (checked by the receiver before the guard and the handler). */
export const ALLOWED_SENDERS: { [N in MessageName]: readonly Protocol[N]['from'][] } = {
  analyzeFrame: ['content', 'page'],
  analyzeCapture: ['content'],
  analyzeScreenshot: ['background'],
  analyzeImage: ['background'],
  videoRemoved: ['content', 'page'],
  historySamples: ['content', 'page'],
  ensureEngine: ['content', 'page'],
  engineStatusChanged: ['engine'],
  engineConfig: ['engine'],
  engineStatus: ['page'],
  toggle: ['page'],
  tabState: ['page'],
  contentSettings: ['content'],
  reachFrames: ['content', 'page'],
  locateImage: ['background'],
  applySettings: ['background'],
  setEnabled: ['background'],
  live: ['background'],
  showImageResult: ['background'],
  prepareCapture: ['background'],
};

export type WireMessage<N extends MessageName> = { type: string } & RequestOf<N>;

/** The message as sent: its wire type and the request's fields. */
export function toWire<N extends MessageName>(name: N, request: RequestOf<N>): WireMessage<N> {
  return { ...request, type: WIRE_TYPES[name] };
}

/** The name of a wire message, if it is one of ours (the request is not checked here). */
export function nameOf(message: unknown): MessageName | null {
  const type = isObject(message) ? message.type : undefined;
  return typeof type === 'string' ? (NAME_OF_TYPE.get(type) ?? null) : null;
}

// ---- guards: a request is used only after its guard accepted it ----

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isDataUrl = (v: unknown): v is string => typeof v === 'string' && v.startsWith('data:image/');
const isId = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 64;
const isTabId = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;

const isBox = (v: unknown): v is Box =>
  isObject(v) && [v.x, v.y, v.width, v.height].every((n) => typeof n === 'number' && Number.isFinite(n)) && (v.width as number) > 0 && (v.height as number) > 0;

const isFrameOptions = (v: unknown): v is FrameOptions =>
  v === undefined ||
  (isObject(v) &&
    (v.minFaceSize === undefined || (typeof v.minFaceSize === 'number' && v.minFaceSize >= 8 && v.minFaceSize <= 2000)) &&
    // Not finer than 128 px: a forged message must not make one frame cost hundreds of inferences.
    (v.tileSide === undefined || (typeof v.tileSide === 'number' && v.tileSide >= 128 && v.tileSide <= 4096)) &&
    (v.smoothing === undefined || (typeof v.smoothing === 'number' && v.smoothing >= 0 && v.smoothing <= 0.95)));

const isFrameFace = (v: unknown): v is FrameFace =>
  isObject(v) && Number.isInteger(v.faceId) && isBox(v.box) && typeof v.emotion === 'string' && typeof v.confidence === 'number' && isObject(v.scores);

const ENGINE_STATES = new Set(['loading', 'ready', 'error']);

export const GUARDS: { [N in MessageName]: (v: Record<string, unknown>) => boolean } = {
  analyzeFrame: (v) => isId(v.videoId) && isDataUrl(v.frame) && typeof v.scale === 'number' && v.scale > 0 && v.scale < 100 && isFrameOptions(v.options),
  analyzeCapture: (v) =>
    isId(v.videoId) && isBox(v.rect) && typeof v.devicePixelRatio === 'number' && v.devicePixelRatio > 0 && v.devicePixelRatio <= 8 && isFrameOptions(v.options),
  analyzeScreenshot: (v) => isTabId(v.tabId) && isId(v.videoId) && isDataUrl(v.frame) && isBox(v.crop) && isFrameOptions(v.options),
  analyzeImage: (v) => isDataUrl(v.frame) && (v.crop === undefined || isBox(v.crop)) && (v.thumbnail === undefined || typeof v.thumbnail === 'boolean'),
  videoRemoved: (v) => isId(v.videoId),
  historySamples: (v) =>
    typeof v.sessionId === 'string' && /^[\w-]{1,64}$/.test(v.sessionId) && Array.isArray(v.rows) && v.rows.length <= 10_000 && v.rows.every(isSampleRow),
  ensureEngine: () => true,
  engineStatusChanged: (v) => typeof v.state === 'string' && ENGINE_STATES.has(v.state) && typeof v.progress === 'number' && typeof v.detail === 'string',
  engineConfig: () => true,
  engineStatus: () => true,
  toggle: (v) => isTabId(v.tabId),
  tabState: (v) => isTabId(v.tabId),
  contentSettings: () => true,
  // The receiver sanitises the settings themselves (sanitiseSettings), as it does stored ones.
  applySettings: (v) => isObject(v.settings),
  reachFrames: (v) => v.tabId === undefined || isTabId(v.tabId),
  locateImage: (v) => typeof v.srcUrl === 'string' && v.srcUrl.length <= 1_000_000,
  setEnabled: (v) => typeof v.enabled === 'boolean' && (v.sessionId === undefined || (typeof v.sessionId === 'string' && /^[\w-]{1,64}$/.test(v.sessionId))),
  live: () => true,
  showImageResult: (v) => typeof v.srcUrl === 'string' && Array.isArray(v.faces) && v.faces.every(isFrameFace) && typeof v.width === 'number' && typeof v.height === 'number',
  prepareCapture: (v) => typeof v.hidden === 'boolean',
};

/** The request of a wire message of this name, or null when its fields do not pass the guard. */
export function requestOf<N extends MessageName>(name: N, message: unknown): RequestOf<N> | null {
  if (!isObject(message) || !GUARDS[name](message)) return null;
  const { type: _type, ...request } = message;
  return request as RequestOf<N>;
}

/** Messages between the offscreen document and the OpenCV sandbox iframe (window.postMessage). */
export type SandboxRequest =
  | { kind: 'init'; cascade: ArrayBuffer }
  | { kind: 'detect'; id: number; width: number; height: number; gray: ArrayBuffer; options?: DetectorSettings };

export type SandboxResponse =
  | { kind: 'ready'; ms: number }
  | { kind: 'init-failed'; message: string }
  | { kind: 'detected'; id: number; boxes: Box[] }
  | { kind: 'detect-failed'; id: number; code: string; message: string };

/**
 * The engine <-> BlazeFace worker (engine/blazeface-worker.ts): a dedicated worker, so the face
 * detector runs on the other core while the engine's thread classifies. Frames are transferred
 * (RGBA, or gray when `channels` is 1); the answers are SandboxResponse's.
 */
export type DetectorWorkerRequest =
  | { kind: 'init'; wasmPath: string; modelFolder: string }
  | { kind: 'detect'; id: number; width: number; height: number; channels: 1 | 4; pixels: ArrayBuffer; options?: DetectorSettings };
