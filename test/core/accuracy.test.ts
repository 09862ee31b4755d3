import { describe, expect, it } from 'vitest';
import { LABELS } from '../../src/core/labels';
import { evaluateDataset, formatReport } from '../../src/eval/evaluate';
import { ferDir, ferSample } from '../helpers/fer';
import { getPipeline } from '../helpers/pipeline';

const testDir = ferDir('test');
const SAMPLE = 800;

describe.skipIf(!testDir)('the shipped model on FER-2013 PublicTest', () => {
  it(`reaches >= 68% on a fixed sample of ${SAMPLE} images, recalling every class`, async () => {
    const pipeline = await getPipeline();
    const items = await ferSample(testDir!, SAMPLE);
    const report = await evaluateDataset(pipeline, items);
    console.log(formatReport(report));
    expect(report.n).toBe(SAMPLE);
    expect(report.accuracy).toBeGreaterThanOrEqual(0.68);
    for (const label of LABELS) expect(report.per_class[label], label).toBeGreaterThan(0.3);
  });
});
