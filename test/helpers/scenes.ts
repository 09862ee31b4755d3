import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { DatasetItem } from '../../src/node/dataset';
import type { Box } from '../../src/core/image';
import { composeScene, iou, type Scene } from '../../src/node/synthetic';

export interface TestScene extends Scene {
  items: DatasetItem[];
}

/**
 * Deterministic 640x480 frames with 1-3 FER test faces each, scaled up to 110-190 px at
 * positions that do not overlap.
 */
export async function makeScenes(faces: DatasetItem[], count: number): Promise<TestScene[]> {
  const scenes: TestScene[] = [];
  let next = 0;
  for (let s = 0; s < count && next < faces.length; s++) {
    const n = 1 + (s % 3);
    const slotWidth = 640 / n;
    const placed = [];
    const items = [];
    for (let k = 0; k < n && next < faces.length; k++) {
      const size = Math.min(190, Math.floor(slotWidth - 30), 110 + ((s * 37 + k * 53) % 80));
      const x = k * slotWidth + (slotWidth - size) / 2;
      const y = 60 + ((s * 29 + k * 71) % (480 - size - 80));
      placed.push({ file: faces[next].file, x, y, size });
      items.push(faces[next++]);
    }
    scenes.push({ ...(await composeScene(640, 480, placed, s + 7)), items });
  }
  return scenes;
}

/**
 * The first `n` items whose face the cascade finds when shown alone at `size` px: many FER
 * faces are profiles or occluded, and tests about tracking need faces that are detectable.
 */
export async function detectableFaces(detect: (scene: Scene) => Promise<Box[]>, items: DatasetItem[], n: number, size = 170): Promise<DatasetItem[]> {
  const found: DatasetItem[] = [];
  for (const item of items) {
    if (found.length >= n) break;
    const scene = await composeScene(480, 360, [{ file: item.file, x: 150, y: 90, size }], 3);
    const boxes = await detect(scene);
    if (boxes.length === 1 && iou(boxes[0], scene.crops[0]) > 0.5) found.push(item);
  }
  return found;
}

/**
 * The first `n` FER test faces (from a sample of `sampleSize`) the real cascade finds when shown
 * at `size` px: what the browser tests put in their videos.
 */
export async function cascadeFaces(n: number, size: number, sampleSize: number): Promise<DatasetItem[]> {
  const { getPipeline } = await import('./pipeline');
  const { ferDir, ferSample } = await import('./fer');
  const { toGray } = await import('../../src/core/image');
  const pipeline = await getPipeline();
  return detectableFaces(async (s) => pipeline.detector.detect(toGray(s.rgba)), await ferSample(ferDir('test')!, sampleSize), n, size);
}

/**
 * FER test faces with clear expressions: the cascade finds them at 160 px and the model labels
 * them correctly with confidence, one per wanted class.
 */
export async function clearFaces(classes: string[]): Promise<DatasetItem[]> {
  const { getPipeline } = await import('./pipeline');
  const { ferDir, ferSample } = await import('./fer');
  const pipeline = await getPipeline();
  const picked: DatasetItem[] = [];
  for (const item of await ferSample(ferDir('test')!, 1200)) {
    if (!classes.includes(item.label) || picked.some((p) => p.label === item.label)) continue;
    const scene = await composeScene(480, 360, [{ file: item.file, x: 150, y: 90, size: 160 }], 2);
    const result = await pipeline.analyze(scene.rgba);
    const face = result.faces.find((f) => iou(f.box, scene.crops[0]) > 0.5);
    if (face && face.emotion === item.label && face.confidence > 0.7) picked.push(item);
    if (picked.length === classes.length) break;
  }
  return picked;
}

export interface ExpectedFace {
  label: string;
  crop: Box;
}

/**
 * A 640x480 PNG frame with three clear faces (happy, surprise, neutral) at 170 px, written to
 * `file`: what the video tests play. Returns where each face is and what it shows.
 */
export async function writeClearFacesFrame(file: string): Promise<ExpectedFace[]> {
  const { getPipeline } = await import('./pipeline');
  const { toGray } = await import('../../src/core/image');
  const faces = await clearFaces(['happy', 'surprise', 'neutral']);
  if (faces.length !== 3) throw new Error(`only ${faces.length} of 3 clear faces found in the FER sample`);
  const scene = await composeScene(640, 480, faces.map((f, i) => ({ file: f.file, x: 20 + i * 210, y: 140 + (i % 2) * 40, size: 170 })), 5);
  const direct = await (await getPipeline()).analyze(toGray(scene.rgba));
  console.log(`video frame: expected ${faces.map((f) => f.label).join(', ')}; Node pipeline sees ${direct.faces.map((f) => f.emotion).join(', ')}`);
  await writeFile(file, await sharp(scene.jpeg).png().toBuffer());
  return faces.map((f, i) => ({ label: f.label, crop: scene.crops[i] }));
}

/**
 * A 1080p gallery (a recording, a screen share) written as a PNG to `file`: 16 FER test faces of
 * 80-120 px in a 4x4 grid, chosen from a sample of `ferTestDir` among the faces `detect` finds
 * shown alone at 100 px (the gallery is about small faces in a large frame; faces the detector
 * misses at any size are another matter). What the gallery test and the bench play.
 * Returns how many faces it holds (16 unless the sample ran short).
 */
export async function writeGalleryFrame(file: string, ferTestDir: string, detect: (scene: Scene) => Promise<Box[]>): Promise<number> {
  const { ferSample } = await import('./fer');
  const faces = await detectableFaces(detect, await ferSample(ferTestDir, 400), 16, 100);
  const placed = faces.map((f, i) => {
    const size = 80 + ((i * 13) % 41);
    return { file: f.file, x: (i % 4) * 480 + (480 - size) / 2, y: Math.floor(i / 4) * 270 + (270 - size) / 2, size };
  });
  const gallery = await composeScene(1920, 1080, placed, 11);
  await writeFile(file, await sharp(gallery.jpeg).png().toBuffer());
  return faces.length;
}

/**
 * The context-menu test images, written to `dir`: one.png with one face, two.jpg with two (the
 * cascade finds each at 220 px). What the image tests right-click, in Chromium and Firefox.
 */
export async function writeImageScenes(dir: string): Promise<void> {
  const faces = await cascadeFaces(3, 200, 80);
  const one = await composeScene(640, 480, [{ file: faces[0].file, x: 200, y: 120, size: 220 }], 21);
  const two = await composeScene(640, 480, [{ file: faces[1].file, x: 40, y: 120, size: 220 }, { file: faces[2].file, x: 360, y: 130, size: 220 }], 22);
  await writeFile(path.join(dir, 'one.png'), await sharp(one.jpeg).png().toBuffer());
  await writeFile(path.join(dir, 'two.jpg'), two.jpeg);
}
