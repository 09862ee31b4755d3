import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/node/paths';

/** Files that hold model weights or checkpoints, whatever folder they sit in. */
const MODEL_FILE = /(\.(bin|pt|pth|onnx|tflite|h5|safetensors|npz)|(^|\/)model\.json)$/;
/** The one model the repository carries: the shipped emotion model. */
const SHIPPED = 'public/models/emotion/';

describe('repository weight', () => {
  it('tracks no model file but the shipped model (experiments are recorded in docs/experiments.md)', () => {
    const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: PROJECT_ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
    expect(tracked.length).toBeGreaterThan(50); // really listed the repo
    expect(tracked).toContain(`${SHIPPED}weights.bin`);
    const strays = tracked.filter((file) => MODEL_FILE.test(file) && !file.startsWith(SHIPPED));
    expect(strays).toEqual([]);
  });
});
