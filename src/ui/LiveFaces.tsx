import type { LiveFace } from '../extension/protocol';
import { EmotionBars } from './EmotionBars';
import { EMOTION_EMOJI, percent, UNCERTAIN_LABEL } from '../extension/emotion-style';

/** Per-face live emotions: the top emotion and all seven scores for each tracked face. */
export function LiveFaces({ faces, threshold = 0 }: { faces: LiveFace[]; threshold?: number }) {
  if (faces.length === 0) return <p class="muted">No face in view right now.</p>;
  const multipleVideos = new Set(faces.map((f) => f.videoId)).size > 1;
  return (
    <ul class="plain" aria-label="Faces detected now">
      {faces.map((f) => {
        const name = `Face ${f.faceId}${multipleVideos ? ` (video ${f.videoId.slice(1)})` : ''}`;
        const sure = f.confidence >= threshold;
        return (
          <li class="card" key={`${f.videoId}:${f.faceId}`} data-face={f.faceId}>
            <h3>
              {name}: {sure ? `${EMOTION_EMOJI[f.emotion]} ${f.emotion} ${percent(f.confidence)}` : UNCERTAIN_LABEL}
            </h3>
            <EmotionBars scores={f.scores} label={`${name} emotion scores`} />
          </li>
        );
      })}
    </ul>
  );
}
