import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/node/paths';
import { torchAvailable } from '../helpers/smoke-model';
import { python } from '../../training/prepared-data';

// The shipped model folder can teach or seed a run (the smoke tests also read back the sep and
// slim nets they train), and for that training/import_tfjs.py must rebuild the net it was trained as.
const modelDirs = ['public/models/emotion'];

describe.skipIf(!torchAvailable)('import_tfjs reads exported models back into PyTorch', () => {
  it.each(modelDirs)('%s comes back as the arch it was trained with', async (dir) => {
    const out = path.join(await mkdtemp(path.join(os.tmpdir(), 'faceml-import-')), 'model.pt');
    execFileSync(python, ['training/import_tfjs.py', dir, out], { cwd: PROJECT_ROOT, encoding: 'utf8', stdio: 'pipe' });
    const arch = execFileSync(python, ['-c', 'import sys, torch; print(torch.load(sys.argv[1])["arch"])', out], { encoding: 'utf8' }).trim();
    const metadata = JSON.parse(readFileSync(path.join(PROJECT_ROOT, dir, 'metadata.json'), 'utf8'));
    // Runs from before --arch existed were all "vgg".
    expect(arch).toBe(metadata.training?.settings?.arch ?? 'vgg');
  });
});
