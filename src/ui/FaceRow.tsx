import type { JSX } from 'preact';
import type { EmotionScores } from '../core/labels';
import { EmotionBars } from './EmotionBars';

export interface FaceRowProps extends Omit<JSX.HTMLAttributes<HTMLLIElement>, 'name'> {
  /** The face's number, as the page's overlay shows it. */
  no: number;
  /** "Face 2", or "Face 2 (video 3)". */
  name: string;
  /** Its top emotion and confidence as shown ("😄 happy 81%"), or "uncertain". */
  top: string;
  scores: EmotionScores;
}

/** One face in one line (number, name, top emotion) that opens to all seven scores: live faces and image results. */
export function FaceRow({ no, name, top, scores, ...li }: FaceRowProps) {
  return (
    <li class="face-row" {...li}>
      <details>
        <summary>
          <span class="face-no" aria-hidden="true">
            {no}
          </span>
          <span class="face-name">{name}</span>
          <span class="face-top">{top}</span>
        </summary>
        <EmotionBars scores={scores} label={`${name} emotion scores`} />
      </details>
    </li>
  );
}
