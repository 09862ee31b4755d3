/**
 * Seeded generators of malformed input for fuzz tests (deterministic: a failure names its seed
 * and case number, and reruns identically).
 */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** A PNG header claiming enormous dimensions, with no real pixel data. */
export function hugePngHeader(width: number, height: number): Uint8Array {
  const ihdr = new Uint8Array(25);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, 13);
  ihdr.set([0x49, 0x48, 0x44, 0x52], 4);
  view.setUint32(8, width);
  view.setUint32(12, height);
  ihdr.set([8, 6, 0, 0, 0], 16); // 8-bit RGBA; CRC left zero (broken on purpose)
  return new Uint8Array([...PNG_SIGNATURE, ...ihdr]);
}

export function randomBytes(r: () => number, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** A value of a random JSON-ish type, some of them hostile (deep nesting, huge strings, odd numbers). */
export function randomValue(r: () => number, depth = 0): unknown {
  const pick = Math.floor(r() * 14);
  switch (pick) {
    case 0: return null;
    case 1: return r() < 0.5;
    case 2: return [0, -1, 1e308, -1e308, 2 ** 53 + 1, 0.5, 1e-320][Math.floor(r() * 7)];
    case 3: return 'x'.repeat(Math.floor(r() * 5000));
    case 4: return `data:image/png;base64,${b64(randomBytes(r, Math.floor(r() * 300)))}`;
    case 5: return `data:image/png;base64,${b64(hugePngHeader(100_000, 100_000))}`;
    case 6: return 'data:image/jpeg;base64,%%%not base64%%%';
    case 7: return 'data:text/html,<script>alert(1)</script>';
    case 8: return depth < 3 ? Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1)) : [];
    case 9: return depth < 3 ? { a: randomValue(r, depth + 1), image: randomValue(r, depth + 1) } : {};
    case 10: return JSON.parse('['.repeat(50) + ']'.repeat(50));
    case 11: return { x: 'NaN', y: -5, width: 1e9, height: 0 };
    case 12: return '__proto__';
    default: return `data:image/jpeg;base64,${b64(randomBytes(r, 2000))}`;
  }
}
