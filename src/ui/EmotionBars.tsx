import { LABELS, type EmotionScores } from '../core/labels';
import { EMOTION_COLOR, percent } from '../extension/emotion-style';

/** The seven scores of one face as labelled bars (text always next to colour). */
export function EmotionBars({ scores, label }: { scores: EmotionScores; label: string }) {
  return (
    <div class="bars" role="list" aria-label={label}>
      {LABELS.map((emotion) => (
        <div role="listitem" key={emotion} style={{ display: 'contents' }}>
          <span>{emotion}</span>
          <span
            class="bar"
            role="meter"
            aria-label={emotion}
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={Math.round(scores[emotion] * 100)}
          >
            <span style={{ width: percent(scores[emotion]), background: EMOTION_COLOR[emotion] }} />
          </span>
          <span>{percent(scores[emotion])}</span>
        </div>
      ))}
    </div>
  );
}
