/**
 * npm run serve [-- --model <dir>]
 * Env: PORT (5000), HOST (127.0.0.1), MODEL_DIR, DETECTOR (blazeface | haar), BODY_LIMIT_MB (6), MAX_MEGAPIXELS (12),
 * CORS_ORIGINS (comma list), ALLOWED_HOSTS (comma list), QUEUE_LIMIT (64), MAX_STREAMS (256).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createNodePipeline, parseDetectorName } from '../node/pipeline';
import { PROJECT_ROOT } from '../node/paths';
import { buildServer } from './app';

const { values } = parseArgs({ options: { model: { type: 'string' } } });
const env = process.env;
const version = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')).version as string;
const number = (name: string, fallback: number) => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v <= 0) {
    console.error(`faceml: ${name} must be a positive number, got "${raw}"`);
    process.exit(2);
  }
  return v;
};

const list = (raw: string | undefined) => (raw ?? '').split(',').map((s) => s.trim()).filter(Boolean);

/** DETECTOR, checked before anything loads: a typo stops the server with a clear message. */
function detectorFromEnv() {
  try {
    return parseDetectorName(env.DETECTOR, 'DETECTOR');
  } catch (err) {
    console.error(`faceml: ${(err as Error).message}`);
    process.exit(2);
  }
}
detectorFromEnv();

const host = env.HOST || '127.0.0.1';
const port = number('PORT', 5000);
const { app } = await buildServer({
  loadPipeline: () => createNodePipeline({ modelDir: values.model ?? env.MODEL_DIR, detector: detectorFromEnv() }),
  version,
  bodyLimit: Math.round(number('BODY_LIMIT_MB', 6) * 1024 * 1024),
  maxPixels: Math.round(number('MAX_MEGAPIXELS', 12) * 1e6),
  corsOrigins: list(env.CORS_ORIGINS),
  // The name the server is bound to is its own; ALLOWED_HOSTS adds names it is reached by (a
  // reverse proxy, a LAN name).
  allowedHosts: [host, ...list(env.ALLOWED_HOSTS)],
  queueLimit: number('QUEUE_LIMIT', 64),
  maxStreams: number('MAX_STREAMS', 256),
});
await app.listen({ host, port });
console.log(`faceml: listening on http://${host.includes(':') ? `[${host}]` : host}:${port} (loading model...)`);
if (!['127.0.0.1', 'localhost', '::1'].includes(host)) {
  console.warn(`faceml: WARNING: bound to ${host}, reachable from other machines`);
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    app.close().then(() => process.exit(0));
  });
}
