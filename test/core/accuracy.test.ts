import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MODEL_DIR } from '../../src/node/paths';
import { LABELS } from '../../src/core/labels';
import { evaluateDataset, formatReport } from '../../src/eval/evaluate';
import { listDataset } from '../../src/node/dataset';
import { ferDir } from '../helpers/fer';
import { getPipeline } from '../helpers/pipeline';

const testDir = ferDir('test');
// The whole PublicTest folder (3,589 images, ~30 s): no sampling noise in the figure it checks.
// The project's goal, 70% (issue: >= 68% here), through the runtime's default path (each face
// and its mirror image averaged): the shipped model measures 70.05% (68.93% without the mirror).
const MIN_ACCURACY = 0.7;

describe.skipIf(!testDir)('the shipped model on FER-2013 PublicTest', () => {
  it(`reaches >= ${(MIN_ACCURACY * 100).toFixed(1)}% on all of PublicTest, recalling every class over 30% (disgust and fear over 35%)`, async () => {
    const pipeline = await getPipeline();
    const items = await listDataset(testDir!);
    const report = await evaluateDataset(pipeline, items);
    console.log(formatReport(report));
    expect(report.n).toBeGreaterThanOrEqual(700);
    expect(report.accuracy).toBeGreaterThanOrEqual(MIN_ACCURACY);
    for (const label of LABELS) expect(report.per_class[label], label).toBeGreaterThan(0.3);
    expect(report.per_class.disgust).toBeGreaterThanOrEqual(0.35);
    expect(report.per_class.fear).toBeGreaterThanOrEqual(0.35);
    // The figure the settings page, README and model card quote (metadata.json) is this one.
    const { evaluation } = JSON.parse(await readFile(path.join(DEFAULT_MODEL_DIR, 'metadata.json'), 'utf8'));
    expect(report.n).toBe(evaluation.images);
    expect(report.accuracy).toBeCloseTo(evaluation.accuracy, 3);
  });
});
