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
const toggle = document.getElementById('toggle') as HTMLButtonElement;
const sampler = new VideoSampler(browser);
exposeTestHooks({ __facemlWebcam: sampler });
followSettings(browser, (settings) => sampler.applySettings(settings));
let stream: MediaStream | null = null;
let statusTimer: ReturnType<typeof setInterval> | undefined;

function say(text: string, error = false): void {
  status.textContent = text;
  status.classList.toggle('error', error);
}

/** "2 faces: happy 91%, neutral 64%", from what the sampler labels now. */
function describeFaces(): string {
  const faces = sampler.live().faces;
  if (faces.length === 0) return 'Detecting: no face in view.';
  const list = faces.map((f) => `${f.emotion} ${Math.round(f.confidence * 100)}%`).join(', ');
  return `Detecting: ${faces.length} face${faces.length === 1 ? '' : 's'}: ${list}`;
}

async function start(): Promise<void> {
  toggle.disabled = true;
  say('Starting the camera...');
  try {
    const engine = await send(browser, 'ensureEngine', {});
    if (!engine.ok) throw new Error(`the detection engine could not start: ${engine.error.message}`);
    stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false });
  } catch (err) {
    const name = (err as DOMException).name;
    say(
      name === 'NotAllowedError'
        ? 'Camera access was refused. Allow it for FaceML in the browser\'s site settings, then press Start camera.'
        : name === 'NotFoundError'
          ? 'No camera found.'
          : `Could not start: ${(err as Error).message}`,
      true,
    );
    setToggle('start');
    return;
  }
  video.srcObject = stream;
  await video.play();
  say('Detecting faces...');
  sampler.start();
  statusTimer = setInterval(() => say(describeFaces()), 500);
  setToggle('stop');
}

function stop(): void {
  clearInterval(statusTimer);
  sampler.stop();
  stream?.getTracks().forEach((t) => t.stop());
  stream = null;
  video.srcObject = null;
  say('Camera stopped.');
  setToggle('start');
}

/** One button: Stop while the camera runs, Start after. */
function setToggle(next: 'start' | 'stop'): void {
  toggle.textContent = next === 'start' ? 'Start camera' : 'Stop camera';
  toggle.dataset.action = next;
  toggle.disabled = false;
}

toggle.addEventListener('click', () => (toggle.dataset.action === 'start' ? void start() : stop()));
window.addEventListener('pagehide', () => sampler.stop());

void start();
