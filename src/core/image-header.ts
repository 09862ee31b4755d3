/**
 * An image's pixel size read from its header bytes, without decoding: browsers' decoders
 * (createImageBitmap) allocate the full bitmap first, so a 10 KB file declaring 16383x16383 must
 * be refused before it reaches them. Formats browsers decode: PNG, JPEG, WebP, GIF, BMP, AVIF.
 */
export interface HeaderSize {
  format: 'png' | 'jpeg' | 'webp' | 'gif' | 'bmp' | 'avif';
  width: number;
  height: number;
}

const ascii = (b: Uint8Array, at: number, n: number) => String.fromCharCode(...b.subarray(at, at + n));

/** The size an image's header declares, or null when the bytes are not one of these formats (or are cut short). */
export function readHeaderSize(b: Uint8Array): HeaderSize | null {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const has = (n: number) => b.length >= n;
  if (has(24) && b[0] === 0x89 && ascii(b, 1, 3) === 'PNG' && ascii(b, 12, 4) === 'IHDR') {
    return { format: 'png', width: v.getUint32(16), height: v.getUint32(20) };
  }
  if (has(10) && (ascii(b, 0, 6) === 'GIF87a' || ascii(b, 0, 6) === 'GIF89a')) {
    return { format: 'gif', width: v.getUint16(6, true), height: v.getUint16(8, true) };
  }
  if (has(26) && ascii(b, 0, 2) === 'BM') {
    return { format: 'bmp', width: Math.abs(v.getInt32(18, true)), height: Math.abs(v.getInt32(22, true)) };
  }
  if (has(30) && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP') return webpSize(b, v);
  if (has(4) && b[0] === 0xff && b[1] === 0xd8) return jpegSize(b, v);
  if (has(12) && ascii(b, 4, 4) === 'ftyp' && /avi[fs]/.test(ascii(b, 8, 4) + ascii(b, 16, Math.min(32, Math.max(0, b.length - 16))))) return avifSize(b, v);
  return null;
}

function webpSize(b: Uint8Array, v: DataView): HeaderSize | null {
  const chunk = ascii(b, 12, 4);
  if (chunk === 'VP8X') return { format: 'webp', width: 1 + (v.getUint32(24, true) & 0xffffff), height: 1 + (v.getUint32(27, true) & 0xffffff) };
  if (chunk === 'VP8L') {
    const bits = v.getUint32(21, true);
    return { format: 'webp', width: 1 + (bits & 0x3fff), height: 1 + ((bits >> 14) & 0x3fff) };
  }
  if (chunk === 'VP8 ') return { format: 'webp', width: v.getUint16(26, true) & 0x3fff, height: v.getUint16(28, true) & 0x3fff };
  return null;
}

function jpegSize(b: Uint8Array, v: DataView): HeaderSize | null {
  let at = 2;
  while (at + 9 < b.length) {
    if (b[at] !== 0xff) return null;
    const marker = b[at + 1];
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    // Start-of-frame markers (all but DHT C4, JPG C8, DAC CC) carry the size.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { format: 'jpeg', height: v.getUint16(at + 5), width: v.getUint16(at + 7) };
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2;
      continue;
    }
    at += 2 + v.getUint16(at + 2);
  }
  return null;
}

/** AVIF (ISO BMFF): the first 'ispe' (image spatial extent) property holds the size. */
function avifSize(b: Uint8Array, v: DataView): HeaderSize | null {
  for (let at = 0; at + 20 <= b.length; at++) {
    if (b[at] === 0x69 && ascii(b, at, 4) === 'ispe') return { format: 'avif', width: v.getUint32(at + 8), height: v.getUint32(at + 12) };
  }
  return null;
}
