// The demo page's media: the sample photos a dev dependency ships (served beside this page by
// scripts/demo-site.ts), a sample video drawn from them on a canvas, or the user's own camera or file.
const SAMPLES = ['sample1.jpg', 'sample2.jpg', 'sample3.jpg', 'sample4.jpg', 'sample5.jpg', 'sample6.jpg'];
const video = document.getElementById('video');
const photo = document.getElementById('photo');
const note = document.getElementById('note');
const stopButton = document.getElementById('stop');
let stopCurrent = () => {};

for (const name of SAMPLES) {
  const img = document.createElement('img');
  img.src = name;
  img.alt = `Sample photo ${name.replace(/\D/g, '')}`;
  document.getElementById('samples').append(img);
}

/** Stops whatever is shown (so FaceML analyses only what is on screen) and hides it. */
function stopAll() {
  stopCurrent();
  stopCurrent = () => {};
  video.pause();
  if (video.srcObject) for (const track of video.srcObject.getTracks()) track.stop();
  video.srcObject = null;
  video.removeAttribute('src');
  video.load();
  video.hidden = true;
  if (photo.src.startsWith('blob:')) URL.revokeObjectURL(photo.src);
  photo.removeAttribute('src');
  photo.hidden = true;
  stopButton.hidden = true;
  note.textContent = '';
}

async function showStream(stream, message) {
  video.srcObject = stream;
  video.hidden = false;
  stopButton.hidden = false;
  await video.play();
  note.textContent = message;
}

/** A video made here: the sample photos in turn, each slowly zoomed, at 15 frames a second. */
async function sampleStream() {
  const images = await Promise.all(SAMPLES.map((src) => new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error(`could not load ${src}`));
    img.src = src;
  })));
  const canvas = document.createElement('canvas');
  canvas.width = 960;
  canvas.height = 640;
  const ctx = canvas.getContext('2d');
  const started = performance.now();
  const draw = () => {
    const t = (performance.now() - started) / 1000;
    const img = images[Math.floor(t / 5) % images.length];
    const zoom = 1 + 0.04 * (t % 5);
    const scale = Math.max(canvas.width / img.width, canvas.height / img.height) * zoom;
    const w = img.width * scale;
    const h = img.height * scale;
    ctx.drawImage(img, (canvas.width - w) / 2, (canvas.height - h) / 2, w, h);
  };
  draw();
  // A timer, not requestAnimationFrame: the video keeps going while the tab is in the background.
  const timer = setInterval(draw, 1000 / 15);
  stopCurrent = () => clearInterval(timer);
  return canvas.captureStream(15);
}

document.getElementById('sample').addEventListener('click', async () => {
  stopAll();
  try {
    await showStream(await sampleStream(), 'Sample video playing. Now click the FaceML toolbar button.');
  } catch (err) {
    note.textContent = `The sample video could not start: ${err.message}`;
  }
});

document.getElementById('camera').addEventListener('click', async () => {
  stopAll();
  try {
    await showStream(await navigator.mediaDevices.getUserMedia({ video: true }), 'Now click the FaceML toolbar button.');
  } catch (err) {
    note.textContent = `Camera unavailable: ${err.message}`;
  }
});

stopButton.addEventListener('click', stopAll);

document.getElementById('file').addEventListener('change', (event) => {
  const file = event.target.files[0];
  event.target.value = '';
  if (!file) return;
  stopAll();
  const url = URL.createObjectURL(file);
  if (file.type.startsWith('video/')) {
    video.src = url;
    video.hidden = false;
    stopButton.hidden = false;
    video.play();
    note.textContent = 'Now click the FaceML toolbar button.';
  } else {
    photo.src = url;
    photo.hidden = false;
    stopButton.hidden = false;
    note.textContent = 'Right-click the photo and choose "Analyze emotions in this image".';
  }
});
