import net from 'node:net';
import { mkdtemp, mkdir, writeFile, cp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { modelFromDir } from '../../src/node/model-files';
import { PROJECT_ROOT } from '../../src/node/paths';
import { composeScene } from '../../src/node/synthetic';
import { ferDir, ferSample } from '../helpers/fer';
import { slowUpload, webpBomb } from '../helpers/attacks';
import { dataUrl, startServer, type RunningServer } from '../helpers/server';

const testDir = ferDir('test');

/** GET /health with this Host header, over a raw socket (fetch may not set Host). */
function rawGet(port: number, host: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(`GET /health HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
    let text = '';
    socket.on('data', (d) => (text += d.toString()));
    socket.on('close', () => resolve(text));
  });
}

describe.skipIf(!testDir)('REST server: hardening', () => {
  let server: RunningServer;
  let face: Buffer;

  beforeAll(async () => {
    server = await startServer({ requestTimeoutMs: 3000 });
    await server.loaded;
    const [item] = await ferSample(testDir!, 1);
    face = (await composeScene(320, 240, [{ file: item.file, x: 90, y: 50, size: 140 }])).jpeg;
  });
  afterAll(() => server?.app.close());

  const port = () => Number(new URL(server.url).port);

  it('refuses a decompression bomb from its header, cheaply, at the default limit', async () => {
    const bytes = await webpBomb(6300, 6300);
    expect(bytes.length).toBeLessThan(64 * 1024);
    const before = process.memoryUsage().rss;
    const res = await server.post('/predict_emotion', { image: dataUrl(bytes, 'image/webp') });
    expect(res.status).toBe(413);
    expect(res.json.error.code).toBe('IMAGE_TOO_LARGE');
    expect(res.json.error.message).toMatch(/6300x6300/);
    // Refused before decoding: no 160 MB pixel buffer was made.
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024);
  });

  it('answers a normal request while 20 bombs and 40 slow uploads are in flight, and hangs up on the slow uploads', async () => {
    const bombs = await Promise.all(Array.from({ length: 20 }, (_, i) => webpBomb(6300 - i, 6300)));
    // Images under the limit that still cost a lot to decode: they queue behind small ones.
    const heavy = await Promise.all(Array.from({ length: 8 }, (_, i) => webpBomb(3400 - i, 3400)));
    const rss0 = process.memoryUsage().rss;
    const slow = Array.from({ length: 40 }, () => slowUpload(port(), 5_000_000, 1_000_000, 500));
    onTestFinished(() => slow.forEach((s) => s.destroy()));
    const bombAnswers = Promise.all(bombs.map((b) => server.post('/predict_emotion', { image: dataUrl(b, 'image/webp') })));
    let normalDone = false;
    let heavyAfterNormal = 0;
    const heavyAnswers = Promise.all(
      heavy.map((b) => server.post('/predict_emotion', { image: dataUrl(b, 'image/webp') }).then((res) => ((heavyAfterNormal += normalDone ? 1 : 0), res))),
    );
    await new Promise((r) => setTimeout(r, 50));
    const t0 = performance.now();
    const normal = await server.post('/predict_emotion', { image: dataUrl(face) });
    normalDone = true;
    const normalMs = performance.now() - t0;
    expect(normal.status).toBe(200);
    expect(normal.json.faces).toHaveLength(1);
    console.log(`normal request answered in ${normalMs.toFixed(0)} ms with 20 bombs, 8 heavy images and 40 slow uploads in flight`);
    for (const res of await bombAnswers) {
      expect(res.status).toBe(413);
      expect(res.json.error.code).toBe('IMAGE_TOO_LARGE');
    }
    for (const res of await heavyAnswers) expect(res.status).toBe(200);
    // Queued after the heavy images, served before all but the one or two already under way.
    expect(heavyAfterNormal).toBeGreaterThanOrEqual(6);
    // Slow uploads are cut off by the request time limit: the server answers 408 or hangs up.
    const slowAnswers = await Promise.race([
      Promise.all(slow.map((s) => s.done)),
      new Promise<null>((r) => setTimeout(() => r(null), 8000)),
    ]);
    slow.forEach((s) => s.destroy());
    expect(slowAnswers, 'every slow upload ended by the server within the time limit').not.toBeNull();
    for (const answer of slowAnswers!) expect(answer === 'closed' || /^HTTP\/1\.1 408/.test(answer)).toBe(true);
    const growth = process.memoryUsage().rss - rss0;
    console.log(`RSS growth under attack: ${(growth / 1e6).toFixed(0)} MB`);
    expect(growth).toBeLessThan(300 * 1024 * 1024);
  });

  it('refuses bodies over the default 6 MB before reading them', async () => {
    const res = await server.post('/predict_emotion', { image: 'A'.repeat(6 * 1024 * 1024 + 1) });
    expect(res.status).toBe(413);
    expect(res.json.error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('refuses requests whose Host is not the server\'s own name (DNS rebinding)', async () => {
    const asked = (host: string) => rawGet(port(), host);
    expect(await asked('evil.example:' + port())).toMatch(/^HTTP\/1\.1 421[\s\S]*MISDIRECTED_REQUEST/);
    expect(await asked('127.0.0.1.evil.example')).toMatch(/^HTTP\/1\.1 421/);
    expect(await asked('localhost:' + port())).toMatch(/^HTTP\/1\.1 200/);
    expect(await asked('127.0.0.1:' + port())).toMatch(/^HTTP\/1\.1 200/);
    expect(await asked('[::1]:' + port())).toMatch(/^HTTP\/1\.1 200/);
    // A name the operator adds (HOST or ALLOWED_HOSTS) is accepted.
    const named = await startServer({ allowedHosts: ['faceml.lan'] });
    try {
      expect(await rawGet(Number(new URL(named.url).port), 'FaceML.lan:8080')).toMatch(/^HTTP\/1\.1 (200|503)/);
      expect(await rawGet(Number(new URL(named.url).port), 'other.lan')).toMatch(/^HTTP\/1\.1 421/);
    } finally {
      await named.app.close();
    }
  });

  it('gives every client its own stream: no shared default, and junk ids cannot evict live streams', async () => {
    const a = await server.post('/predict_emotion_stream', { frame: dataUrl(face) });
    const b = await server.post('/predict_emotion_stream', { frame: dataUrl(face) });
    expect(a.status).toBe(200);
    expect(a.json.stream_id).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(b.json.stream_id).not.toBe(a.json.stream_id);
    expect(b.json.faces[0].face_id).toBe(1); // its own tracker, not a's
    const again = await server.post('/predict_emotion_stream', { frame: dataUrl(face), stream_id: a.json.stream_id });
    expect(again.json.stream_id).toBe(a.json.stream_id);

    const small = await startServer({ maxStreams: 4 });
    try {
      await small.loaded;
      const live = await small.post('/predict_emotion_stream', { frame: dataUrl(face), stream_id: 'camera-1' });
      expect(live.json.faces[0].face_id).toBe(1);
      const junk = await Promise.all(Array.from({ length: 8 }, (_, i) => small.post('/predict_emotion_stream', { frame: dataUrl(face), stream_id: `junk-${i}` })));
      expect(junk.filter((r) => r.status === 200)).toHaveLength(3);
      for (const r of junk.filter((r) => r.status !== 200)) {
        expect(r.status).toBe(503);
        expect(r.json.error.code).toBe('TOO_MANY_STREAMS');
      }
      // The live stream kept its tracker: the same face keeps its id.
      const still = await small.post('/predict_emotion_stream', { frame: dataUrl(face), stream_id: 'camera-1' });
      expect(still.status).toBe(200);
      expect(still.json.faces[0].face_id).toBe(1);
      expect(small.streams.has('camera-1')).toBe(true);
    } finally {
      await small.app.close();
    }
  });
});

describe('model loading from a folder: weight paths stay inside it', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'faceml-model-paths-'));
  });

  const withManifestPaths = async (name: string, paths: string[]) => {
    const folder = path.join(dir, name);
    await mkdir(folder, { recursive: true });
    await cp(path.join(PROJECT_ROOT, 'public/models/emotion'), folder, { recursive: true });
    const json = JSON.parse(await import('node:fs/promises').then((fs) => fs.readFile(path.join(folder, 'model.json'), 'utf8')));
    json.weightsManifest[0].paths = paths;
    await writeFile(path.join(folder, 'model.json'), JSON.stringify(json));
    return folder;
  };

  it('refuses a path that climbs out of the folder, an absolute path, and a device file', async () => {
    for (const [name, p, why] of [
      ['climb', '../../../../../../etc/hostname', /outside the model folder/],
      ['absolute', '/etc/hostname', /outside the model folder/],
      ['device', '../../../../../../dev/zero', /outside the model folder/],
    ] as const) {
      const folder = await withManifestPaths(name, [p]);
      await expect(modelFromDir(folder)).rejects.toMatchObject({ code: 'MODEL_LOAD_FAILED', message: expect.stringMatching(why) });
    }
  });

  it('refuses a weight file that is not a regular file, or is larger than any model FaceML runs', async () => {
    const folder = await withManifestPaths('fifo', ['weights.bin']);
    const { execFileSync } = await import('node:child_process');
    await import('node:fs/promises').then((fs) => fs.rm(path.join(folder, 'weights.bin')));
    execFileSync('mkfifo', [path.join(folder, 'weights.bin')]);
    await expect(modelFromDir(folder)).rejects.toMatchObject({ code: 'MODEL_LOAD_FAILED', message: expect.stringMatching(/not a regular file/) });
    const big = await withManifestPaths('big', ['weights.bin']);
    await import('node:fs/promises').then((fs) => fs.truncate(path.join(big, 'weights.bin'), 200 * 1024 * 1024));
    await expect(modelFromDir(big)).rejects.toMatchObject({ code: 'MODEL_LOAD_FAILED', message: expect.stringMatching(/larger than/) });
  });
});
