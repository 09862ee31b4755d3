import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_VIEWS, EmotionClassifier } from '../../src/core/classifier';
import { FaceMLError } from '../../src/core/errors';
import { initTensorflow, tf } from '../../src/core/tf-backend';
import { BlazeFaceDetector } from '../../src/core/blazeface';
import { graphModelFromDir, modelFromDir } from '../../src/node/model-files';
import { BLAZEFACE_DIR, BLAZEFACE_JSON, DEFAULT_MODEL_DIR, WASM_DIR } from '../../src/node/paths';

const SHIPPED = process.env.MODEL_DIR ?? DEFAULT_MODEL_DIR;

async function copyShipped(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'faceml-model-'));
  await copyFile(path.join(SHIPPED, 'model.json'), path.join(dir, 'model.json'));
  await copyFile(path.join(SHIPPED, 'weights.bin'), path.join(dir, 'weights.bin'));
  return dir;
}

async function loadError(dir: string): Promise<FaceMLError> {
  try {
    const { handler, metadata } = await modelFromDir(dir);
    await EmotionClassifier.load(handler, metadata);
  } catch (err) {
    expect(err).toBeInstanceOf(FaceMLError);
    expect((err as FaceMLError).code).toBe('MODEL_LOAD_FAILED');
    return err as FaceMLError;
  }
  throw new Error('model loaded, but an error was expected');
}

describe('model loading and validation', () => {
  it('loads the shipped model and it declares the spec it was trained with', async () => {
    await initTensorflow({ wasmPath: WASM_DIR });
    const { handler, metadata } = await modelFromDir(SHIPPED);
    const classifier = await EmotionClassifier.load(handler, metadata);
    expect(metadata.labels).toEqual(['angry', 'disgust', 'fear', 'happy', 'neutral', 'sad', 'surprise']);
    const [p] = await classifier.classify(new Float32Array(48 * 48).fill(0.5), 1);
    expect(p.length).toBe(7);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    classifier.dispose();
  });

  it('names a missing folder, missing weights and truncated weights', async () => {
    expect((await loadError('/nonexistent/faceml-model')).message).toMatch(/cannot read .*model\.json/);
    const dir = await copyShipped();
    const weights = await readFile(path.join(dir, 'weights.bin'));
    await writeFile(path.join(dir, 'weights.bin'), weights.subarray(0, weights.length - 1000));
    expect((await loadError(dir)).message).toMatch(/truncated/);
    const json = JSON.parse(await readFile(path.join(dir, 'model.json'), 'utf8'));
    json.weightsManifest[0].paths = ['missing.bin'];
    await writeFile(path.join(dir, 'model.json'), JSON.stringify(json));
    expect((await loadError(dir)).message).toMatch(/weight file missing/);
  });

  it('rejects wrong input shapes, wrong output counts and unknown labels', async () => {
    await initTensorflow({ wasmPath: WASM_DIR });
    const save = async (model: tf.LayersModel, labels?: string[]) => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'faceml-bad-'));
      await model.save(tf.io.withSaveHandler(async (artifacts) => {
        await writeFile(path.join(dir, 'weights.bin'), new Uint8Array(artifacts.weightData as ArrayBuffer));
        await writeFile(path.join(dir, 'model.json'), JSON.stringify({
          modelTopology: artifacts.modelTopology,
          weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
          userDefinedMetadata: labels ? { faceml: { labels } } : undefined,
        }));
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }));
      return dir;
    };
    const net = (inputShape: number[], outputs: number) => {
      const m = tf.sequential();
      m.add(tf.layers.flatten({ inputShape }));
      m.add(tf.layers.dense({ units: outputs, activation: 'softmax' }));
      return m;
    };
    expect((await loadError(await save(net([64, 64, 1], 7)))).message).toMatch(/input shape .*64, 64, 1.*expected \[batch, 48, 48, 1\]/);
    expect((await loadError(await save(net([48, 48, 3], 7)))).message).toMatch(/input shape/);
    expect((await loadError(await save(net([48, 48, 1], 5)))).message).toMatch(/output shape .*5/);
    const renamed = ['anger', 'disgust', 'fear', 'happy', 'neutral', 'sad', 'surprise'];
    expect((await loadError(await save(net([48, 48, 1], 7), renamed))).message).toMatch(/label "angry" missing/);
  });

  it('maps a model whose metadata lists the labels in another order', async () => {
    await initTensorflow({ wasmPath: WASM_DIR });
    const { handler } = await modelFromDir(SHIPPED);
    const reversed = ['surprise', 'sad', 'neutral', 'happy', 'fear', 'disgust', 'angry'];
    const plain = await EmotionClassifier.load((await modelFromDir(SHIPPED)).handler);
    const mapped = await EmotionClassifier.load(handler, { labels: reversed });
    const x = new Float32Array(48 * 48).map((_, i) => (i % 48) / 48);
    const [a] = await plain.classify(x, 1);
    const [b] = await mapped.classify(x, 1);
    // Output j of the network is reversed[j] for `mapped`: LABELS[i] reads output 6 - i.
    for (let i = 0; i < 7; i++) expect(b[i]).toBeCloseTo(a[6 - i], 6);
    plain.dispose();
    mapped.dispose();
  });

  it('classifies the views asked for: a face mirrored, the face as is, or both averaged (the default)', async () => {
    await initTensorflow({ wasmPath: WASM_DIR });
    const classifier = await EmotionClassifier.load((await modelFromDir(SHIPPED)).handler);
    // Two different, left-right asymmetric faces in one batch, and the same two mirrored.
    const faces = new Float32Array(2 * 48 * 48).map((_, i) => ((i % 48) * (1 + Math.floor(i / (48 * 48))) + ((i / 48) | 0)) % 97 / 96);
    const mirroredFaces = faces.map((_, i) => faces[i - (i % 48) + 47 - (i % 48)]);
    const asIs = await classifier.classify(faces, 2, 'asIs');
    const mirrored = await classifier.classify(faces, 2, 'mirrored');
    const both = await classifier.classify(faces, 2, 'both');
    const byDefault = await classifier.classify(faces, 2);
    const ofMirrors = await classifier.classify(mirroredFaces, 2, 'asIs');
    expect(DEFAULT_VIEWS).toBe('both');
    for (let f = 0; f < 2; f++) {
      expect(Math.max(...asIs[f].map((v, i) => Math.abs(v - mirrored[f][i]))), 'the views differ').toBeGreaterThan(1e-3);
      for (let i = 0; i < 7; i++) {
        expect(mirrored[f][i]).toBeCloseTo(ofMirrors[f][i], 5);
        expect(both[f][i]).toBeCloseTo((asIs[f][i] + mirrored[f][i]) / 2, 5);
        expect(byDefault[f][i]).toBe(both[f][i]);
      }
    }
    classifier.dispose();
  });

  it('refuses a topology that would build more weights than the manifest holds, before tfjs allocates them', async () => {
    const dir = await copyShipped();
    const json = JSON.parse(await readFile(path.join(dir, 'model.json'), 'utf8'));
    // The review's model: a Dense(250000) layer and a 4-byte manifest.
    json.modelTopology.config.layers.splice(-1, 0, { class_name: 'Dense', config: { name: 'huge', units: 250_000, activation: 'relu', use_bias: true } });
    json.weightsManifest = [{ paths: ['weights.bin'], weights: [{ name: 'huge/bias', shape: [1], dtype: 'float32' }] }];
    await writeFile(path.join(dir, 'model.json'), JSON.stringify(json));
    await writeFile(path.join(dir, 'weights.bin'), new Uint8Array(4));
    const before = process.memoryUsage().rss;
    const t0 = performance.now();
    const error = await loadError(dir);
    expect(error.message).toMatch(/parameters; FaceML loads at most/);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024);

    // Small enough, but not what the manifest holds: refused by comparison, not by a tfjs crash.
    const shipped = JSON.parse(await readFile(path.join(SHIPPED, 'model.json'), 'utf8'));
    shipped.modelTopology.config.layers.find((l: { class_name: string }) => l.class_name === 'Dense').config.units = 300;
    await writeFile(path.join(dir, 'model.json'), JSON.stringify(shipped));
    await copyFile(path.join(SHIPPED, 'weights.bin'), path.join(dir, 'weights.bin'));
    expect((await loadError(dir)).message).toMatch(/does not match its weights: the layers need \d+ weights .* the manifest lists .*first difference: dense1\/kernel/);

    // A layer type FaceML cannot size is named, not guessed at.
    shipped.modelTopology.config.layers.splice(1, 0, { class_name: 'Lambda', config: { name: 'mystery' } });
    await writeFile(path.join(dir, 'model.json'), JSON.stringify(shipped));
    expect((await loadError(dir)).message).toMatch(/cannot check layer "mystery": layer type Lambda is not supported/);
  });
});

describe('face detector model files (BlazeFace, a graph model)', () => {
  async function tampered(change: (json: any, bin: Buffer) => { json: any; bin: Buffer }): Promise<string> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'faceml-detector-'));
    const json = JSON.parse(await readFile(path.join(BLAZEFACE_DIR, BLAZEFACE_JSON), 'utf8'));
    const bin = await readFile(path.join(BLAZEFACE_DIR, 'blazeface.bin'));
    const next = change(json, bin);
    await writeFile(path.join(dir, 'model.json'), JSON.stringify(next.json));
    await writeFile(path.join(dir, 'blazeface.bin'), next.bin);
    return dir;
  }
  const refused = async (dir: string, why: RegExp) => {
    await initTensorflow({ wasmPath: WASM_DIR });
    await expect(graphModelFromDir(dir).then((h) => BlazeFaceDetector.load(h))).rejects.toSatisfy(
      (e: unknown) => e instanceof FaceMLError && e.code === 'MODEL_LOAD_FAILED' && why.test(e.message),
    );
  };

  it('loads the shipped files, and a copy of them', async () => {
    await initTensorflow({ wasmPath: WASM_DIR });
    const detector = await BlazeFaceDetector.load(await graphModelFromDir(await tampered((json, bin) => ({ json, bin }))));
    expect(detector.name).toBe('blazeface');
    detector.dispose();
  });

  it('refuses truncated weights, a layers model, a weight file outside the folder and a huge manifest', async () => {
    await refused(await tampered((json, bin) => ({ json, bin: bin.subarray(0, bin.length - 100) })), /truncated/);
    await refused(await tampered((json, bin) => ({ json: { ...json, format: 'layers-model' }, bin })), /not a TensorFlow.js graph model/);
    await refused(
      await tampered((json, bin) => ({ json: { ...json, weightsManifest: [{ ...json.weightsManifest[0], paths: ['../../../../etc/hostname'] }] }, bin })),
      /outside the model folder/,
    );
    await refused(
      await tampered((json, bin) => ({ json: { ...json, weightsManifest: [{ paths: ['blazeface.bin'], weights: [{ name: 'w', shape: [100_000, 1000], dtype: 'float32' }] }] }, bin })),
      /parameters/,
    );
  });
});
