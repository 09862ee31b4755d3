import type { WxtBrowser as Browser } from 'wxt/browser';
import { FaceMLError } from '../core/errors';
import {
  ALLOWED_SENDERS,
  failure,
  nameOf,
  requestOf,
  toWire,
  type MessageName,
  type RequestOf,
  type ResponseOf,
  type SenderKind,
} from './protocol';

/**
 * send() and a handler table per context, over the protocol of protocol.ts: the one way the
 * extension's contexts talk. A receiver answers only the names in its table, only from the
 * senders the protocol allows, only requests that pass their guards; every answer is a Result.
 */

type RawSender = { id?: string; url?: string; tab?: { id?: number; url?: string; title?: string; windowId?: number }; frameId?: number };

/** A sender the messaging layer has identified. */
export interface Sender {
  kind: SenderKind;
  /** The sender's tab (content scripts and FaceML pages open in a tab, such as the webcam page). */
  tab?: { id?: number; url?: string; title?: string; windowId?: number };
  frameId?: number;
  /** The sending document's URL. */
  url?: string;
}

export type Handler<N extends MessageName> = (request: RequestOf<N>, sender: Sender) => ResponseOf<N> | Promise<ResponseOf<N>>;
export type Handlers<N extends MessageName = MessageName> = { [K in N]: Handler<K> };

/** The extension's own documents, by path (Chrome's service worker, Firefox's background page). */
const ENGINE_PATHS = new Set(['/offscreen.html']);
const BACKGROUND_PATHS = new Set(['/background.js', '/background.html', '/_generated_background_page.html']);

/** Which of our contexts sent a message; null for anything else (another extension, a stranger). */
export function senderKind(browser: Browser, sender: RawSender): SenderKind | null {
  if (sender.id !== browser.runtime.id) return null;
  const origin = browser.runtime.getURL('/' as never).replace(/\/$/, '');
  if (sender.url?.startsWith(`${origin}/`)) {
    const path = new URL(sender.url).pathname;
    if (ENGINE_PATHS.has(path)) return 'engine';
    if (BACKGROUND_PATHS.has(path)) return 'background';
    return 'page';
  }
  // Not one of our documents: our content script in a web page, which Chrome reports with its tab.
  return sender.tab?.id !== undefined ? 'content' : null;
}

/**
 * Runs the handler for one message: checks the sender against the protocol and the request
 * against its guard, and turns a throw into a Failure. Undefined: the message is not one this
 * table answers (another context's, or not ours), so this context stays silent.
 */
export function dispatch<N extends MessageName>(handlers: Partial<Handlers<N>>, message: unknown, sender: Sender): Promise<ResponseOf<MessageName>> | undefined {
  const name = nameOf(message);
  if (!name || !Object.hasOwn(handlers, name)) return undefined;
  const allowed = ALLOWED_SENDERS[name] as readonly SenderKind[];
  if (!allowed.includes(sender.kind)) {
    return Promise.resolve(failure('FORBIDDEN', `${name} is not accepted from a ${sender.kind} context`));
  }
  const request = requestOf(name, message);
  if (!request) return Promise.resolve(failure('INVALID_MESSAGE', `malformed ${name} message`));
  const handler = (handlers as unknown as Record<MessageName, Handler<MessageName>>)[name];
  return Promise.resolve()
    .then(() => handler(request as never, sender))
    .catch((err: unknown) => failure(err instanceof FaceMLError ? err.code : 'INTERNAL', (err as Error)?.message ?? String(err)));
}

/** Answers runtime messages with this context's handler table. Returns the unsubscribe. */
export function listen<N extends MessageName>(browser: Browser, handlers: Partial<Handlers<N>>): () => void {
  const listener = (message: unknown, raw: RawSender, sendResponse: (r: unknown) => void) => {
    if (!nameOf(message)) return undefined;
    const kind = senderKind(browser, raw);
    if (!kind) return undefined; // not from this extension: never answered
    const work = dispatch(handlers, message, { kind, tab: raw.tab, frameId: raw.frameId, url: raw.url });
    if (!work) return undefined;
    void work.then(sendResponse);
    return true; // the answer comes asynchronously
  };
  browser.runtime.onMessage.addListener(listener as never);
  return () => browser.runtime.onMessage.removeListener(listener as never);
}

/** Checks the shape of an answer: a Result, or a Failure saying what came instead. */
function asResult<N extends MessageName>(name: N, answer: unknown): ResponseOf<N> {
  if (answer === undefined || answer === null) return failure('NO_RECEIVER', `nobody answered ${name}`) as ResponseOf<N>;
  if (typeof answer !== 'object' || typeof (answer as { ok?: unknown }).ok !== 'boolean') {
    return failure('BAD_RESPONSE', `${name} got an answer that is not a result`) as ResponseOf<N>;
  }
  return answer as ResponseOf<N>;
}

const unreachable = <N extends MessageName>(err: unknown) => failure('NO_RECEIVER', (err as Error)?.message ?? String(err)) as ResponseOf<N>;

/** Sends a message to the extension's other contexts; never throws (no receiver is a Failure). */
export async function send<N extends MessageName>(browser: Browser, name: N, request: RequestOf<N>): Promise<ResponseOf<N>> {
  try {
    return asResult(name, await browser.runtime.sendMessage(toWire(name, request)));
  } catch (err) {
    return unreachable<N>(err);
  }
}

/** Sends a message to the content script of a tab (its top frame unless `frameId` says otherwise). */
export async function sendToTab<N extends MessageName>(browser: Browser, tabId: number, name: N, request: RequestOf<N>, frameId = 0): Promise<ResponseOf<N>> {
  try {
    return asResult(name, await browser.tabs.sendMessage(tabId, toWire(name, request), { frameId }));
  } catch (err) {
    return unreachable<N>(err);
  }
}

/** A Result's value, or a thrown FaceMLError with its code (for callers that fail as a whole). */
export function unwrap<T extends object>(result: ({ ok: true } & T) | { ok: false; error: { code: string; message: string } }): T {
  if (!result.ok) throw new FaceMLError(result.error.code as never, result.error.message);
  const { ok: _ok, ...value } = result;
  return value as unknown as T;
}
