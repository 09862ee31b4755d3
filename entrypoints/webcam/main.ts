import { browser } from 'wxt/browser';
import { VideoSampler } from '../../src/extension/content/video-sampler';
import { send } from '../../src/extension/messaging';
import { followSettings } from '../../src/extension/settings-client';
import { exposeTestHooks } from '../../src/extension/test-hooks';

/**
 * The user's own webcam. An offscreen document cannot show a permission prompt, so this page
 * asks for the camera (once; Chrome remembers the grant for the extension) and feeds the live
 * video to the same sampler and engine as any page video.
 */
const status = document.getElementById('status')!;
const video = document.getElementById('camera') as HTMLVideoElement;
const sampler = new VideoSampler(browser);
exposeTestHooks({ __facemlWebcam: sampler });
followSettings(browser, (settings) => sampler.applySettings(settings));
let stream: MediaStream | null = null;

function say(text: string, error = false): void {
  status.textContent = text;
  status.classList.toggle('error', error);
}

async function start(): Promise<void> {
  try {
    const engine = await send(browser, 'ensureEngine', {});
    if (!engine.ok) throw new Error(`the detection engine could not start: ${engine.error.message}`);
    stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false });
  } catch (err) {
    const name = (err as DOMException).name;
    say(
      name === 'NotAllowedError'
        ? 'Camera access was refused. Allow it for FaceML in the browser\'s site settings, then reload this page.'
        : name === 'NotFoundError'
          ? 'No camera found.'
          : `Could not start: ${(err as Error).message}`,
      true,
    );
    return;
  }
  video.srcObject = stream;
  await video.play();
  say('Detecting faces...');
  sampler.start();
}

document.getElementById('stop')!.addEventListener('click', () => {
  sampler.stop();
  stream?.getTracks().forEach((t) => t.stop());
  video.srcObject = null;
  say('Camera stopped.');
});
window.addEventListener('pagehide', () => sampler.stop());

void start();
