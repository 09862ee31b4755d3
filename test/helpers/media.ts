import { execFileSync } from 'node:child_process';

/**
 * Encodes a still image into a short video with ffmpeg (Debian package; scripts/setup.sh
 * installs it): .webm (VP8) for <video>, .y4m for Chromium's fake camera.
 */
export function videoFromImage(image: string, out: string, seconds = 4, fps = 10): void {
  const codec = out.endsWith('.webm') ? ['-c:v', 'libvpx', '-b:v', '1M', '-deadline', 'realtime'] : [];
  try {
    execFileSync('ffmpeg', ['-y', '-loglevel', 'error', '-loop', '1', '-i', image, '-t', String(seconds), '-r', String(fps), '-pix_fmt', 'yuv420p', ...codec, out], { stdio: 'pipe' });
  } catch (err) {
    throw new Error(`ffmpeg could not make ${out} (is ffmpeg installed? run scripts/setup.sh): ${(err as Error).message}`);
  }
}
