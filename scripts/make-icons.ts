/**
 * npm run icons: draws FaceML's toolbar and store icons (public/icon/<size>.png, which WXT puts in
 * the manifest) from assets/icon.svg (48, 128) and assets/icon-small.svg (16, 32: fewer, thicker
 * strokes, so the mark still reads at toolbar size). The PNGs are committed; rerun after editing
 * the SVGs.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { PROJECT_ROOT } from '../src/node/paths';

export const ICON_SIZES = [16, 32, 48, 128] as const;

const out = path.join(PROJECT_ROOT, 'public/icon');
await mkdir(out, { recursive: true });
for (const size of ICON_SIZES) {
  const source = path.join(PROJECT_ROOT, 'assets', size <= 32 ? 'icon-small.svg' : 'icon.svg');
  await sharp(source, { density: (72 * size) / (size <= 32 ? 16 : 128) })
    .resize(size, size)
    .png({ compressionLevel: 9 })
    .toFile(path.join(out, `${size}.png`));
  console.log(`icons: public/icon/${size}.png`);
}
