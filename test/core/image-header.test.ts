import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { readHeaderSize } from '../../src/core/image-header';

const make = (width: number, height: number) => sharp({ create: { width, height, channels: 4, background: { r: 10, g: 200, b: 90, alpha: 0.5 } } });

describe('image sizes from headers (no decoding)', () => {
  it('reads the size of PNG, JPEG (also behind EXIF), WebP (lossy, lossless, extended), GIF and AVIF as encoded by libvips', async () => {
    const cases: [string, Buffer][] = [
      ['png', await make(321, 123).png().toBuffer()],
      ['jpeg', await make(321, 123).jpeg().toBuffer()],
      ['jpeg', await make(321, 123).jpeg().withMetadata({ orientation: 6 }).toBuffer()],
      ['webp', await make(321, 123).flatten().webp().toBuffer()],
      ['webp', await make(321, 123).webp({ lossless: true }).toBuffer()],
      ['webp', await make(321, 123).webp().toBuffer()], // with alpha: VP8X
      ['gif', await make(321, 123).gif().toBuffer()],
      ['avif', await make(321, 123).avif().toBuffer()],
    ];
    for (const [format, bytes] of cases) expect(readHeaderSize(new Uint8Array(bytes)), format).toEqual({ format, width: 321, height: 123 });
  });

  it('reads a BMP header and says null for what is not an image or is cut short', () => {
    const bmp = new Uint8Array(54);
    const v = new DataView(bmp.buffer);
    bmp.set([0x42, 0x4d]);
    v.setInt32(18, 640, true);
    v.setInt32(22, -480, true); // top-down rows: negative height
    expect(readHeaderSize(bmp)).toEqual({ format: 'bmp', width: 640, height: 480 });
    expect(readHeaderSize(new TextEncoder().encode('<html>not an image</html>'))).toBeNull();
    expect(readHeaderSize(new Uint8Array([0xff, 0xd8, 0xff]))).toBeNull();
    expect(readHeaderSize(new Uint8Array(0))).toBeNull();
  });

  it('reads what a bomb declares, however small the file', async () => {
    const webp = await make(64, 64).webp({ lossless: true }).toBuffer();
    const bits = webp.readUInt32LE(21);
    webp.writeUInt32LE((bits & ~0xfffffff) | 16382 | (16382 << 14), 21);
    expect(readHeaderSize(new Uint8Array(webp))).toMatchObject({ width: 16383, height: 16383 });
  });
});
