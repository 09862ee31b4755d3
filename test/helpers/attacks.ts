import net from 'node:net';
import sharp from 'sharp';

/** A lossless WebP of one colour: a few KB that declare (and decode to) width x height pixels. */
export const webpBomb = (width: number, height: number) => sharp({ create: { width, height, channels: 3, background: '#777' } }).webp({ lossless: true }).toBuffer();

/**
 * A client that sends its headers and part of a body, then one byte every `everyMs` (a slow
 * upload). `done` resolves with what the server answered, or 'closed' when it hung up silently.
 */
export function slowUpload(port: number, declaredBytes: number, sentBytes: number, everyMs: number) {
  const socket = net.connect(port, '127.0.0.1');
  let answer = '';
  socket.on('data', (d) => (answer += d.toString()));
  const done = new Promise<string>((resolve) => {
    socket.on('close', () => resolve(answer || 'closed'));
    socket.on('error', () => undefined);
  });
  socket.on('connect', () => {
    socket.write(`POST /predict_emotion HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: ${declaredBytes}\r\n\r\n`);
    socket.write('{"image":"' + 'A'.repeat(Math.max(0, sentBytes - 10)));
  });
  const timer = setInterval(() => socket.writable && socket.write('A'), everyMs);
  socket.on('close', () => clearInterval(timer));
  return { done, destroy: () => socket.destroy() };
}
