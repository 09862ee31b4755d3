/**
 * One library, in its own process (each bundles its own tfjs), on the same inputs:
 *   tsx bench/competitors/worker.ts <job.json>
 * Prints one JSON line with load time, per-frame timing and accuracy. Libraries: faceml (this
 * project's pipeline, with BlazeFace or with the Haar cascade), face-api (@vladmandic/face-api: TinyFaceDetector + expression net) and
 * human (@vladmandic/human: BlazeFace + its emotion model, oarriaga's mini-Xception).
 */
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import sharp from 'sharp';
import { LABELS, type Emotion } from '../../src/core/labels';
import { PROJECT_ROOT } from '../../src/node/paths';

export interface Job {
  lib: 'faceml' | 'faceml-haar' | 'face-api' | 'human';
  /** 640x480 frames (PNG) for speed, timed `runs` times each. */
  frames: string[];
  runs: number;
  /** FER test crops, classified as they are (no detection). */
  crops: { file: string; label: Emotion }[];
  /** The same crops scaled up on a background (PNG), for detection + classification. */
  scenes: { file: string; label: Emotion }[];
}

interface Face {
  width: number;
  emotion: Emotion;
}

interface Library {
  /** Full pipeline on RGB pixels. */
  analyze(rgb: Uint8Array, width: number, height: number): Promise<Face[]>;
  /** Classifies a face crop without detection (null: the library has no such entry point). */
  classifyCrop: ((rgb: Uint8Array, width: number, height: number) => Promise<Emotion>) | null;
}

const require = createRequire(import.meta.url);
const WASM_DIR = path.join(PROJECT_ROOT, 'node_modules/@tensorflow/tfjs-backend-wasm/dist/');
const FACE_API_MAP: Record<string, Emotion> = { neutral: 'neutral', happy: 'happy', sad: 'sad', angry: 'angry', fearful: 'fear', disgusted: 'disgust', surprised: 'surprise' };
const top = (scores: Record<string, number>, map: Record<string, Emotion>): Emotion =>
  map[Object.entries(scores).filter(([k]) => k in map).sort((a, b) => b[1] - a[1])[0][0]];

async function loadFaceml(detector: 'blazeface' | 'haar'): Promise<Library> {
  const { createNodePipeline } = await import('../../src/node/pipeline');
  // One thread, like the other libraries here: the comparison is of the models, not of threading.
  const pipeline = await createNodePipeline({ threads: 1, detector });
  const rgba = (rgb: Uint8Array, w: number, h: number) => {
    const out = new Uint8ClampedArray(w * h * 4);
    for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
      out[j] = rgb[i];
      out[j + 1] = rgb[i + 1];
      out[j + 2] = rgb[i + 2];
      out[j + 3] = 255;
    }
    return { width: w, height: h, data: out };
  };
  return {
    analyze: async (rgb, w, h) => (await pipeline.analyze(rgba(rgb, w, h))).faces.map((f) => ({ width: f.box.width, emotion: f.emotion })),
    classifyCrop: async (rgb, w, h) => (await pipeline.analyze(rgba(rgb, w, h), { imageIsFaceCrop: true })).faces[0].emotion,
  };
}

async function loadFaceApi(): Promise<Library> {
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
  const tf = faceapi.tf;
  tf.setWasmPaths(WASM_DIR);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  await tf.setBackend('wasm');
  await tf.ready();
  const models = path.join(PROJECT_ROOT, 'node_modules/@vladmandic/face-api/model');
  await faceapi.nets.tinyFaceDetector.loadFromDisk(models);
  await faceapi.nets.faceExpressionNet.loadFromDisk(models);
  const options = new faceapi.TinyFaceDetectorOptions({ inputSize: 416, scoreThreshold: 0.5 });
  return {
    analyze: async (rgb, w, h) => {
      const t = tf.tensor3d(rgb, [h, w, 3], 'int32');
      try {
        const found = await faceapi.detectAllFaces(t, options).withFaceExpressions();
        return found.map((f: { detection: { box: { width: number } }; expressions: Record<string, number> }) => ({ width: f.detection.box.width, emotion: top(f.expressions, FACE_API_MAP) }));
      } finally {
        t.dispose();
      }
    },
    classifyCrop: async (rgb, w, h) => {
      const t = tf.tensor3d(rgb, [h, w, 3], 'int32');
      try {
        return top(await faceapi.nets.faceExpressionNet.predictExpressions(t), FACE_API_MAP);
      } finally {
        t.dispose();
      }
    },
  };
}

async function loadHuman(): Promise<Library> {
  // Human fetches its models over HTTP in the wasm build: serve its model folder on loopback.
  const root = path.join(PROJECT_ROOT, 'node_modules/@vladmandic/human/models');
  const server = http.createServer(async (req, res) => {
    try {
      const body = await readFile(path.join(root, path.basename(decodeURIComponent((req.url ?? '').split('?')[0]))));
      res.setHeader('content-type', req.url?.endsWith('.json') ? 'application/json' : 'application/octet-stream');
      res.end(body);
    } catch {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  server.unref();
  const port = (server.address() as { port: number }).port;
  // Not an exported subpath of the package: load the file itself.
  const { Human } = require(path.join(PROJECT_ROOT, 'node_modules/@vladmandic/human/dist/human.node-wasm.js'));
  const human = new Human({
    backend: 'wasm',
    debug: false,
    wasmPath: `file://${WASM_DIR}`,
    modelBasePath: `http://127.0.0.1:${port}/`,
    filter: { enabled: false },
    face: {
      enabled: true,
      detector: { rotation: false, maxDetected: 20, skipFrames: 0, skipTime: 0 },
      mesh: { enabled: false },
      iris: { enabled: false },
      description: { enabled: false },
      emotion: { enabled: true, skipFrames: 0, skipTime: 0 },
      antispoof: { enabled: false },
      liveness: { enabled: false },
      attention: { enabled: false },
    },
    body: { enabled: false },
    hand: { enabled: false },
    object: { enabled: false },
    gesture: { enabled: false },
    segmentation: { enabled: false },
  });
  await human.load();
  const tf = human.tf;
  const map = Object.fromEntries(LABELS.map((l) => [l, l])) as Record<string, Emotion>;
  return {
    analyze: async (rgb, w, h) => {
      const t = tf.tensor4d(rgb, [1, h, w, 3], 'int32');
      try {
        const result = await human.detect(t);
        return result.face
          .filter((f: { emotion?: unknown[] }) => f.emotion && f.emotion.length)
          .map((f: { box: number[]; emotion: { score: number; emotion: string }[] }) => ({
            width: f.box[2],
            emotion: top(Object.fromEntries(f.emotion.map((e) => [e.emotion, e.score])), map),
          }));
      } finally {
        t.dispose();
      }
    },
    classifyCrop: null, // Human has no public per-crop emotion call; measured with detection only
  };
}

async function rgbOf(file: string) {
  const { data, info } = await sharp(file).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  const rgb = info.channels === 3 ? new Uint8Array(data) : Uint8Array.from({ length: info.width * info.height * 3 }, (_, i) => data[Math.floor(i / 3)]);
  return { rgb, width: info.width, height: info.height };
}

const pct = (v: number[], p: number) => {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};

async function main(): Promise<void> {
  const job = JSON.parse(await readFile(process.argv[2], 'utf8')) as Job;
  const t0 = performance.now();
  const lib =
    job.lib === 'faceml' ? await loadFaceml('blazeface') : job.lib === 'faceml-haar' ? await loadFaceml('haar') : job.lib === 'face-api' ? await loadFaceApi() : await loadHuman();
  const loadMs = performance.now() - t0;
  const frames = [];
  for (const file of job.frames) {
    const img = await rgbOf(file);
    for (let i = 0; i < 3; i++) await lib.analyze(img.rgb, img.width, img.height); // warm-up
    const times: number[] = [];
    let found = 0;
    for (let i = 0; i < job.runs; i++) {
      const a = performance.now();
      found = (await lib.analyze(img.rgb, img.width, img.height)).length;
      times.push(performance.now() - a);
    }
    frames.push({ file: path.basename(file), faces_found: found, ms_p50: pct(times, 50), ms_p95: pct(times, 95) });
  }
  let crop = null;
  if (lib.classifyCrop) {
    let correct = 0;
    for (const c of job.crops) {
      const img = await rgbOf(c.file);
      if ((await lib.classifyCrop(img.rgb, img.width, img.height)) === c.label) correct++;
    }
    crop = { n: job.crops.length, accuracy: correct / Math.max(1, job.crops.length) };
  }
  let found = 0;
  let correct = 0;
  for (const s of job.scenes) {
    const img = await rgbOf(s.file);
    const faces = (await lib.analyze(img.rgb, img.width, img.height)).sort((a, b) => b.width - a.width);
    if (faces.length) {
      found++;
      if (faces[0].emotion === s.label) correct++;
    }
  }
  const n = job.scenes.length;
  console.log(JSON.stringify({ lib: job.lib, load_ms: loadMs, frames, crop, detect: { n, found, accuracy: correct / Math.max(1, n), accuracy_found: correct / Math.max(1, found) } }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
