import { FaceMLError } from './errors';

const MIME = /^data:(image\/(?:jpeg|jpg|png|webp))(?:;[^,;]*)*;base64,/i;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decodes a base64 image given as a data URL (data:image/jpeg;base64,...) or as bare base64,
 * the two forms the original Flask API accepted. Whitespace/newlines inside are tolerated.
 */
export function bytesFromDataUrl(input: string): Uint8Array {
  if (typeof input !== 'string' || input.length === 0) throw new FaceMLError('INVALID_IMAGE', 'image must be a non-empty base64 string or data URL');
  let payload = input;
  if (input.startsWith('data:')) {
    const match = MIME.exec(input.slice(0, 200));
    if (!match) {
      const type = input.slice(5, input.indexOf(',') > 0 ? Math.min(input.indexOf(','), 60) : 60);
      throw new FaceMLError('INVALID_IMAGE', `unsupported data URL "${type}": expected data:image/jpeg, image/png or image/webp with ;base64`);
    }
    payload = input.slice(match[0].length);
  }
  payload = payload.replace(/\s+/g, '');
  // URL-safe base64 (-, _) is accepted too.
  payload = payload.replace(/-/g, '+').replace(/_/g, '/');
  if (payload.length === 0) throw new FaceMLError('INVALID_IMAGE', 'image data is empty');
  if (!BASE64.test(payload) || payload.length % 4 === 1) throw new FaceMLError('INVALID_IMAGE', 'image is not valid base64');
  return base64ToBytes(payload);
}

function base64ToBytes(b64: string): Uint8Array {
  if (typeof Buffer !== 'undefined') return new Uint8Array(Buffer.from(b64, 'base64'));
  const bin = atob(b64.padEnd(Math.ceil(b64.length / 4) * 4, '='));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
