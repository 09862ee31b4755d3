import type { LiveFace } from '../extension/protocol';
import { FaceRow } from './FaceRow';
import { EMOTION_EMOJI, percent, UNCERTAIN_LABEL } from '../extension/emotion-style';

/**
 * Per-face live emotions, one compact row per face: its number (the one on the page's overlay),
 * top emotion and confidence; the row opens to all seven scores.
 */
export function LiveFaces({ faces, threshold = 0 }: { faces: LiveFace[]; threshold?: number }) {
  if (faces.length === 0) return <p class="muted">No face in view right now.</p>;
  const multipleVideos = new Set(faces.map((f) => f.videoId)).size > 1;
  return (
    <ul class="plain faces" aria-label="Faces detected now">
      {faces.map((f) => {
        const name = `Face ${f.faceId}${multipleVideos ? ` (video ${f.videoId.slice(1)})` : ''}`;
        const sure = f.confidence >= threshold;
        return (
          <FaceRow
            key={`${f.videoId}:${f.faceId}`}
            data-face={f.faceId}
            no={f.faceId}
            name={name}
            top={sure ? `${EMOTION_EMOJI[f.emotion]} ${f.emotion} ${percent(f.confidence)}` : UNCERTAIN_LABEL}
            scores={f.scores}
          />
        );
      })}
    </ul>
  );
}
