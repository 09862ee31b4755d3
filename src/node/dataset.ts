import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { FaceMLError } from '../core/errors';
import { toGray } from '../core/image';
import { LABELS, type Emotion } from '../core/labels';
import { cropToInput } from '../core/preprocess';
import { decodeImage } from './decode';

export interface DatasetItem {
  file: string;
  label: Emotion;
  labelIndex: number;
}

const IMAGE_EXT = /\.(jpe?g|png|webp)$/i;

/**
 * Lists a folder in the Kaggle FER layout: <dir>/<class>/<image>, class folders named as LABELS.
 * Missing class folders are allowed (a subset), unknown ones and an empty dataset are errors.
 */
export async function listDataset(dir: string): Promise<DatasetItem[]> {
  let entries;
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error('not a directory');
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    throw new FaceMLError('INVALID_ARGUMENT', `dataset folder not found or not a directory: ${dir}`);
  }
  const folders = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name);
  const unknown = folders.filter((f) => !(LABELS as readonly string[]).includes(f));
  if (unknown.length) {
    throw new FaceMLError(
      'INVALID_ARGUMENT',
      `unknown class folder(s) in ${dir}: ${unknown.join(', ')} (expected only ${LABELS.join(', ')})`,
    );
  }
  const items: DatasetItem[] = [];
  for (const [labelIndex, label] of LABELS.entries()) {
    if (!folders.includes(label)) continue;
    const files = (await readdir(path.join(dir, label))).filter((f) => IMAGE_EXT.test(f)).sort();
    for (const f of files) items.push({ file: path.join(dir, label, f), label, labelIndex });
  }
  if (items.length === 0) {
    throw new FaceMLError('INVALID_ARGUMENT', `no images found in ${dir} (expected <class>/*.jpg for classes ${LABELS.join(', ')})`);
  }
  return items;
}

/**
 * Loads one FER-style image (already a face crop) and writes its classifier input at `offset`:
 * the whole image is the face region.
 */
export async function loadFaceInput(file: string, out: Float32Array, offset: number): Promise<void> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (cause) {
    throw new FaceMLError('INVALID_IMAGE', `cannot read ${file}`, { cause });
  }
  let gray;
  try {
    gray = toGray(await decodeImage(bytes));
  } catch (err) {
    if (err instanceof FaceMLError) throw new FaceMLError(err.code, `${file}: ${err.message}`, { cause: err });
    throw err;
  }
  cropToInput(gray, { x: 0, y: 0, width: gray.width, height: gray.height }, out, offset);
}
