import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/core/tf-backend';
import { hugePngHeader, randomBytes, randomValue, rng } from '../helpers/fuzz';
import { startServer, type RunningServer } from '../helpers/server';

const SEED = 20261124;
const CASES = 300;

/**
 * Every REST endpoint with malformed input: random bytes, wrong types, enormous dimensions,
 * deep JSON, wrong content types. Each answer must be a JSON error (4xx) or a valid result,
 * never a 5xx or a dropped connection; the server must stay healthy and leak no tensors.
 */
describe('REST endpoints under fuzzed input', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer();
    await server.loaded;
  });
  afterAll(() => server?.app.close());

  it(`answers ${CASES} malformed requests with clear errors, stays up, leaks nothing`, async () => {
    const r = rng(SEED);
    // Warm up once so lazily created tensors are not counted as a leak.
    await server.post('/predict_emotion', { image: `data:image/png;base64,${Buffer.from(hugePngHeader(10, 10)).toString('base64')}` });
    const tensorsBefore = tf.memory().numTensors;
    const statuses = new Map<number, number>();
    for (let i = 0; i < CASES; i++) {
      const path = ['/predict_emotion', '/predict_emotion_stream', '/health', '/nope'][Math.floor(r() * 4)];
      const kind = Math.floor(r() * 5);
      let body: string | Uint8Array;
      let type = 'application/json';
      if (kind === 0) body = JSON.stringify({ image: randomValue(r), stream_id: randomValue(r), reset: randomValue(r) });
      else if (kind === 1) body = JSON.stringify(randomValue(r));
      else if (kind === 2) body = randomBytes(r, Math.floor(r() * 3000));
      else if (kind === 3) {
        body = JSON.stringify({ image: 'data:image/png;base64,AAAA' });
        type = ['text/plain', 'application/x-www-form-urlencoded', 'image/png', ''][Math.floor(r() * 4)];
      } else body = '{"image": "' + 'A'.repeat(Math.floor(r() * 10000)) + '"';
      const method = path === '/health' && r() < 0.5 ? 'GET' : 'POST';
      const res = await fetch(server.url + path, { method, headers: type ? { 'content-type': type } : {}, body: method === 'GET' ? undefined : typeof body === 'string' ? body : Buffer.from(body) }).catch((e: Error) => e);
      expect(res, `case ${i}: connection failed`).toBeInstanceOf(Response);
      const response = res as Response;
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      expect(response.status, `case ${i} (${path}, kind ${kind}) got ${response.status}`).toBeLessThan(500);
      const text = await response.text();
      const json = JSON.parse(text); // always JSON
      if (response.status >= 400) {
        // The API's error shape: { error: { code, message } }.
        expect(typeof json.error?.code === 'string' && typeof json.error?.message === 'string', `case ${i}: ${text.slice(0, 200)}`).toBe(true);
      }
    }
    console.log(`fuzzed statuses: ${[...statuses].map(([s, n]) => `${s} x${n}`).join(', ')}`);
    const health = await fetch(server.url + '/health');
    expect(health.status).toBe(200);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });
});
