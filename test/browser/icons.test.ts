import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/node/paths';

const BUILDS = { chrome: '.output/chrome-mv3', firefox: '.output/firefox-mv2' } as const;

/** Relative luminance of an sRGB colour (WCAG 2). */
const luminance = (r: number, g: number, b: number) => {
  const lin = (c: number) => ((c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
};

/**
 * The built extensions carry FaceML's own mark (not the browser's grey letter or puzzle piece,
 * which the toolbar, the extensions page and the context menu show without one): every size the
 * stores and toolbars ask for, at that size, and a mark that reads at 16 px.
 */
describe('icons in the built extensions', () => {
  for (const [browser, dir] of Object.entries(BUILDS)) {
    it(`${browser}: the manifest names a 16, 32, 48 and 128 px icon and the toolbar button uses it`, async () => {
      const root = path.join(PROJECT_ROOT, dir);
      expect(existsSync(root), `${dir} is built`).toBe(true);
      const manifest = JSON.parse(readFileSync(path.join(root, 'manifest.json'), 'utf8'));
      expect(Object.keys(manifest.icons ?? {}).sort()).toEqual(['128', '16', '32', '48']);
      for (const [size, file] of Object.entries<string>(manifest.icons)) {
        const meta = await sharp(path.join(root, file)).metadata();
        expect([meta.format, meta.width, meta.height], file).toEqual(['png', Number(size), Number(size)]);
      }
      const button = manifest.action ?? manifest.browser_action;
      expect(Object.keys(button.default_icon ?? {}).sort()).toEqual(['16', '32']);
    });
  }

  it('the 16 px mark has a light figure on a dark tile (contrast >= 4.5), and the tile is opaque', async () => {
    const { data, info } = await sharp(path.join(PROJECT_ROOT, BUILDS.chrome, 'icon/16.png')).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    const opaque: number[] = [];
    for (let i = 0; i < data.length; i += info.channels) if (data[i + 3] === 255) opaque.push(luminance(data[i], data[i + 1], data[i + 2]));
    expect(opaque.length, 'opaque pixels of 256').toBeGreaterThan(200);
    const dark = Math.min(...opaque);
    const light = Math.max(...opaque);
    expect((light + 0.05) / (dark + 0.05)).toBeGreaterThanOrEqual(4.5);
    // The figure is more than a dot: at least 12 pixels of it.
    expect(opaque.filter((l) => l > (light + dark) / 2).length).toBeGreaterThanOrEqual(12);
  });
});
