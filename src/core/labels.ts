import spec from './spec.json';

/** The seven FER-2013 classes, in the order the classifier's outputs use. */
export const LABELS = Object.freeze([...spec.labels]) as readonly Emotion[];

export type Emotion = 'angry' | 'disgust' | 'fear' | 'happy' | 'neutral' | 'sad' | 'surprise';

export type EmotionScores = Record<Emotion, number>;

/** Turns a probability vector in LABELS order into named scores. */
export function scoresFromVector(probabilities: ArrayLike<number>): EmotionScores {
  if (probabilities.length !== LABELS.length) {
    throw new Error(`expected ${LABELS.length} scores, got ${probabilities.length}`);
  }
  const scores = {} as EmotionScores;
  LABELS.forEach((label, i) => (scores[label] = probabilities[i]));
  return scores;
}

/** The label with the highest score, and that score. */
export function topEmotion(scores: EmotionScores): { emotion: Emotion; confidence: number } {
  let emotion: Emotion = LABELS[0];
  for (const label of LABELS) if (scores[label] > scores[emotion]) emotion = label;
  return { emotion, confidence: scores[emotion] };
}
