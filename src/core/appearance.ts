import { INPUT_SIZE } from './preprocess';

/**
 * A face's appearance signature: the classifier's 48x48 input averaged down to 12x12, minus its
 * mean, scaled to unit length. Two frames of one person give signatures whose dot product stays
 * high (measured by `npm run bench -- --only identity`); a different person in the same place gives
 * a clearly lower one, which box overlap alone cannot tell. Brightness and contrast changes
 * cancel out (mean removed, length normalised); it costs 144 values and no inference.
 */
export const SIGNATURE_SIDE = 12;
const BLOCK = INPUT_SIZE / SIGNATURE_SIDE;

export function appearanceSignature(input: Float32Array, offset = 0): Float32Array {
  const out = new Float32Array(SIGNATURE_SIDE * SIGNATURE_SIDE);
  for (let y = 0; y < INPUT_SIZE; y++) {
    const row = offset + y * INPUT_SIZE;
    const sy = Math.floor(y / BLOCK) * SIGNATURE_SIDE;
    for (let x = 0; x < INPUT_SIZE; x++) out[sy + Math.floor(x / BLOCK)] += input[row + x];
  }
  return normalised(out);
}

/** Cosine similarity of two signatures (both unit length): 1 the same, about 0 unrelated. */
export function similarity(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i] * b[i];
  return dot;
}

/** A track's signature moved towards the latest frame's, so slow changes (light, pose) are followed. */
export function blendSignature(track: Float32Array, latest: Float32Array, weightOfLatest = 0.3): Float32Array {
  return normalised(track.map((v, i) => (1 - weightOfLatest) * v + weightOfLatest * latest[i]));
}

function normalised(v: Float32Array): Float32Array {
  const mean = v.reduce((s, x) => s + x, 0) / v.length;
  let norm = 0;
  for (let i = 0; i < v.length; i++) {
    v[i] -= mean;
    norm += v[i] * v[i];
  }
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i] /= norm;
  return v;
}
