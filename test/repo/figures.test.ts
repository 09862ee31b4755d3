import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/node/paths';

const read = (file: string) => readFileSync(path.join(PROJECT_ROOT, file), 'utf8');

/**
 * The model's accuracy is one measured number: metadata.json's `evaluation` (written by
 * `npm run model-card`, checked against a rerun by test/core/accuracy.test.ts). The settings page
 * shows it from there; the README and the model card must quote the same figure.
 */
describe('published figures', () => {
  const { evaluation } = JSON.parse(read('public/models/emotion/metadata.json'));
  const figure = `${(evaluation.accuracy * 100).toFixed(2)}%`;

  it('metadata.json records the measured accuracy, its data and the command that measures it', () => {
    expect(evaluation).toMatchObject({ dataset: 'FER-2013 PublicTest', images: 3589, command: expect.stringMatching(/^npm run eval -- --data \S+ --json$/) });
    expect(evaluation.accuracy).toBeGreaterThan(0);
  });

  it(`the README and the model card quote that figure (${figure})`, () => {
    expect(read('README.md')).toContain(`**${figure} on FER-2013 PublicTest**`);
    expect(read('public/models/emotion/README.md')).toContain(`**${figure}**`);
    // No other headline figure for the shipped model lingers in the README.
    const headlines = [...read('README.md').matchAll(/(\d\d\.\d\d)% (?:on FER-2013 )?PublicTest/g)].map((m) => `${m[1]}%`);
    expect(new Set(headlines)).toEqual(new Set([figure]));
  });
});
