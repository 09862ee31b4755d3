import { existsSync } from 'node:fs';
import path from 'node:path';
import { listDataset, type DatasetItem } from '../../src/node/dataset';
import { PROJECT_ROOT } from '../../src/node/paths';

/**
 * Where FER-2013 is: $FER2013_DIR (a folder holding train/ and test/), else ../shared/fer2013
 * beside the repo (as on CI). Returns null, after saying so loudly, when it is absent.
 */
export function ferDir(split: 'train' | 'test'): string | null {
  const root = process.env.FER2013_DIR ?? path.resolve(PROJECT_ROOT, '../shared/fer2013');
  const dir = path.join(root, split);
  if (existsSync(dir)) return dir;
  console.warn(
    `\n*** FER-2013 ${split}/ not found at ${dir}: tests that need it are SKIPPED. ` +
      `Set FER2013_DIR to a folder with train/ and test/ in the Kaggle layout. ***\n`,
  );
  return null;
}

/** A fixed, class-stratified sample: every k-th image of the sorted listing. */
export async function ferSample(dir: string, n: number): Promise<DatasetItem[]> {
  const items = await listDataset(dir);
  const step = items.length / Math.min(n, items.length);
  return Array.from({ length: Math.min(n, items.length) }, (_, i) => items[Math.floor(i * step)]);
}
