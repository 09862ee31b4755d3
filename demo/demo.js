const video = document.getElementById('video');
const photo = document.getElementById('photo');
const note = document.getElementById('note');

document.getElementById('camera').addEventListener('click', async () => {
  try {
    video.srcObject = await navigator.mediaDevices.getUserMedia({ video: true });
    video.hidden = false;
    photo.hidden = true;
    await video.play();
    note.textContent = 'Now click the FaceML toolbar button.';
  } catch (err) {
    note.textContent = `Camera unavailable: ${err.message}`;
  }
});

document.getElementById('file').addEventListener('change', (event) => {
  const file = event.target.files[0];
  if (!file) return;
  const url = URL.createObjectURL(file);
  if (file.type.startsWith('video/')) {
    video.srcObject = null;
    video.src = url;
    video.hidden = false;
    photo.hidden = true;
    video.play();
    note.textContent = 'Now click the FaceML toolbar button.';
  } else {
    photo.src = url;
    photo.hidden = false;
    video.hidden = true;
    note.textContent = 'Right-click the photo and choose "Analyze emotions in this image".';
  }
});
