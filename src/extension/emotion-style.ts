import type { Emotion } from '../core/labels';

/**
 * How each emotion is shown everywhere (overlay, popup, side panel, charts). Colours are the
 * Okabe-Ito palette, distinguishable with the common colour-vision deficiencies; they always
 * come with a text label, never alone.
 */
export const EMOTION_COLOR: Readonly<Record<Emotion, string>> = Object.freeze({
  angry: '#D55E00',
  disgust: '#009E73',
  fear: '#CC79A7',
  happy: '#E69F00',
  neutral: '#999999',
  sad: '#0072B2',
  surprise: '#56B4E9',
});

export const EMOTION_EMOJI: Readonly<Record<Emotion, string>> = Object.freeze({
  angry: '\u{1F620}',
  disgust: '\u{1F922}',
  fear: '\u{1F628}',
  happy: '\u{1F604}',
  neutral: '\u{1F610}',
  sad: '\u{1F622}',
  surprise: '\u{1F62E}',
});

export const UNCERTAIN_LABEL = 'uncertain';

export const percent = (p: number) => `${Math.round(p * 100)}%`;
