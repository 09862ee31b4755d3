import http from 'node:http';
import cors from '@fastify/cors';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import PQueue from 'p-queue';
import { bytesFromDataUrl } from '../core/data-url';
import { FaceMLError, type FaceMLErrorCode } from '../core/errors';
import type { EmotionPipeline } from '../core/pipeline';
import { tf, threadsText, wasmThreadsInUse } from '../core/tf-backend';
import { decodePixels, readImageHeader } from '../node/decode';
import { apiPrediction } from './format';
import { hostAllowed } from './hosts';
import { StreamRegistry, TooManyStreams } from './streams';

export interface ServerOptions {
  loadPipeline: () => Promise<EmotionPipeline>;
  version: string;
  /** Largest request body accepted (bytes; default 6 MB: a 12 MP phone photo as a data URL). */
  bodyLimit?: number;
  /** Longest a client may take to send a whole request (ms; default 20 s). */
  requestTimeoutMs?: number;
  /** Most open connections (default 256); more are refused by the socket layer. */
  maxConnections?: number;
  /** Host names accepted besides the loopback names (the HOST the server binds, ALLOWED_HOSTS). */
  allowedHosts?: string[];
  /** Origins allowed by CORS; empty = CORS off (no Access-Control headers). */
  corsOrigins?: string[];
  /** Requests waiting for the model beyond this get 503 + Retry-After. */
  queueLimit?: number;
  maxStreams?: number;
  streamIdleMs?: number;
  /** Largest image decoded (pixels; default 12 MP), checked from its header before decoding. */
  maxPixels?: number;
  /** Longest one image may take to decode (s; default 2). */
  decodeTimeoutSeconds?: number;
  log?: (line: string) => void;
}

type State = { status: 'loading' } | { status: 'ok'; pipeline: EmotionPipeline } | { status: 'error'; error: FaceMLError };

const HTTP_STATUS: Partial<Record<FaceMLErrorCode, number>> = {
  INVALID_IMAGE: 400,
  EMPTY_IMAGE: 400,
  INVALID_ARGUMENT: 400,
  IMAGE_TOO_LARGE: 413,
  NOT_READY: 503,
};

/** 4000x3000, a phone photo: far more than emotion detection needs, a fraction of a bomb's cost. */
export const SERVER_MAX_PIXELS = 12_000_000;

const imageSchema = { type: 'string', minLength: 1 } as const;

/**
 * The REST API of the original Flask backend, on the shared pipeline. Requests are queued to
 * the single model instance (one at a time: the work is CPU-bound, and tfjs-wasm already spreads one
 * inference over the cores when it runs threaded).
 */
export async function buildServer(options: ServerOptions): Promise<{ app: FastifyInstance; loaded: Promise<void>; streams: StreamRegistry }> {
  const bodyLimit = options.bodyLimit ?? 6 * 1024 * 1024;
  const maxPixels = options.maxPixels ?? SERVER_MAX_PIXELS;
  const queueLimit = options.queueLimit ?? 64;
  const queue = new PQueue({ concurrency: 1 });
  const streams = new StreamRegistry({ maxStreams: options.maxStreams ?? 256, idleMs: options.streamIdleMs ?? 60_000 });
  const log = options.log ?? ((line: string) => console.log(line));

  let state: State = { status: 'loading' };
  const started = Date.now();
  const loaded = options.loadPipeline().then(
    (pipeline) => {
      state = { status: 'ok', pipeline };
      log(`faceml: model and face detector loaded in ${Date.now() - started} ms (backend ${tf.getBackend()}, ${threadsText(wasmThreadsInUse())})`);
    },
    (err) => {
      const error = err instanceof FaceMLError ? err : new FaceMLError('MODEL_LOAD_FAILED', String(err?.message ?? err));
      state = { status: 'error', error };
      log(`faceml: failed to load: ${error.code}: ${error.message}`);
    },
  );

  const sendError = (reply: FastifyReply, status: number, code: string, message: string) => {
    if (status === 503) reply.header('Retry-After', '1');
    return reply.code(status).send({ error: { code, message } });
  };

  // A client must send its whole request within requestTimeout and may not sit idle on a socket
  // for more than connectionTimeout: a slow upload holds neither a socket nor memory for long.
  // Node checks the request deadline every connectionsCheckingInterval (default 30 s, longer than
  // the deadline itself), so the server is made here with a one-second check.
  const requestTimeout = options.requestTimeoutMs ?? 20_000;
  const app = Fastify({
    bodyLimit,
    logger: false,
    // No type coercion: {"image": 5} is a client bug to report, not a string to guess at.
    ajv: { customOptions: { coerceTypes: false } },
    serverFactory: (handler) => {
      const server = http.createServer({ requestTimeout, headersTimeout: Math.min(requestTimeout, 10_000), connectionsCheckingInterval: 1000, keepAliveTimeout: 10_000 }, handler);
      server.timeout = 30_000;
      server.maxConnections = options.maxConnections ?? 256;
      return server;
    },
  });
  // DNS rebinding: a web page whose own name resolves to 127.0.0.1 reaches this server with its
  // name in Host. Only the server's own names are served.
  app.addHook('onRequest', async (req, reply) => {
    if (!hostAllowed(req.headers.host, options.allowedHosts ?? [])) {
      return sendError(reply, 421, 'MISDIRECTED_REQUEST', `this server does not answer to the host name "${req.headers.host ?? ''}"`);
    }
  });
  // JSON only: Fastify also parses text/plain by default, which must get 415 here.
  app.removeContentTypeParser('text/plain');
  if (options.corsOrigins?.length) await app.register(cors, { origin: options.corsOrigins });

  app.setErrorHandler((err: FastifyError, _req, reply) => {
    if (err instanceof FaceMLError) return sendError(reply, HTTP_STATUS[err.code] ?? 500, err.code, err.message);
    if (err.validation) return sendError(reply, 400, 'INVALID_REQUEST', `invalid request body: ${err.message.replace(/^body\/?/, '').trim()}`);
    switch (err.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return sendError(reply, 413, 'PAYLOAD_TOO_LARGE', `request body is larger than the ${Math.round(bodyLimit / 1024 / 1024)} MB limit`);
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return sendError(reply, 415, 'UNSUPPORTED_MEDIA_TYPE', 'send a JSON body with Content-Type: application/json');
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return sendError(reply, 400, 'INVALID_REQUEST', 'request body is empty');
    }
    if (err.statusCode === 400) return sendError(reply, 400, 'INVALID_JSON', `request body is not valid JSON: ${err.message}`);
    log(`faceml: internal error: ${err.stack ?? err.message}`);
    return sendError(reply, 500, 'INTERNAL', 'internal error');
  });
  app.setNotFoundHandler((req, reply) => sendError(reply, 404, 'NOT_FOUND', `no route ${req.method} ${req.url}`));

  app.get('/health', async (_req, reply) => {
    const body = {
      status: state.status,
      model_loaded: state.status === 'ok',
      face_detector_loaded: state.status === 'ok',
      face_detector: state.status === 'ok' ? state.pipeline.detector.name : null,
      backend: tf.getBackend() ?? null,
      version: options.version,
      ...(state.status === 'error' ? { error: { code: state.error.code, message: state.error.message } } : {}),
    };
    if (state.status !== 'ok') reply.code(503).header('Retry-After', '1');
    return body;
  });

  /**
   * Decodes and analyses one image on the model queue; with a stream, faces are tracked and
   * smoothed. The header is read first (bombs are refused there), and the queue serves smaller
   * images first, so a heavy image delays a light one by at most the one being worked on.
   */
  const predict = async (reply: FastifyReply, image: string, streamId: string | null) => {
    if (state.status === 'loading') return sendError(reply, 503, 'NOT_READY', 'model is still loading');
    if (state.status === 'error') return sendError(reply, 503, state.error.code, state.error.message);
    const { pipeline } = state;
    if (queue.size >= queueLimit) return sendError(reply, 503, 'BUSY', `server busy: ${queue.size} requests waiting`);
    const t0 = performance.now();
    const bytes = bytesFromDataUrl(image);
    const header = await readImageHeader(bytes, maxPixels);
    let stream = null;
    if (streamId !== null) {
      try {
        stream = streams.open(streamId || undefined, pipeline);
      } catch (err) {
        if (err instanceof TooManyStreams) return sendError(reply, 503, 'TOO_MANY_STREAMS', err.message);
        throw err;
      }
    }
    const body = await queue.add(
      async () => {
        const decoded = await decodePixels(bytes, { maxPixels, timeoutSeconds: options.decodeTimeoutSeconds ?? 2 });
        // A stream's frames are video: its EmotionStream tracks, smooths and alternates the views.
        const result = stream ? await stream.stream.analyze(decoded) : await pipeline.analyze(decoded);
        return apiPrediction(result, result.faces, performance.now() - t0);
      },
      { priority: -header.width * header.height },
    );
    return stream ? { ...body, stream_id: stream.id } : body;
  };

  app.post<{ Body: { image: string } }>(
    '/predict_emotion',
    { schema: { body: { type: 'object', required: ['image'], properties: { image: imageSchema } } } },
    (req, reply) => predict(reply, req.body.image, null),
  );

  app.post<{ Body: { frame: string; stream_id?: string } }>(
    '/predict_emotion_stream',
    {
      schema: {
        body: {
          type: 'object',
          required: ['frame'],
          properties: { frame: imageSchema, stream_id: { type: 'string', minLength: 1, maxLength: 128 } },
        },
      },
    },
    (req, reply) => predict(reply, req.body.frame, req.body.stream_id ?? ''),
  );

  return { app, loaded, streams };
}
