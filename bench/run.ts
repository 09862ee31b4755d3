/**
 * npm run bench [-- --model <dir>] [--quick] [--only core|server|extension|history|vs] [--soak-minutes N]
 * Prints tables, then, as the LAST line, one JSON object with every figure.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../src/node/paths';
import { DETECTOR_NAMES } from '../src/core/pipeline';
import { createNodePipeline } from '../src/node/pipeline';
import { ferDir, ferSample } from '../test/helpers/fer';
import { benchCore } from './core';
import { benchCompetitors } from './competitors';
import { benchExtension } from './extension';
import { benchHistory } from './history';
import { benchServer } from './server';
import { benchServerUnderAttack } from './server-attack';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    'soak-minutes': { type: 'string' },
  },
});
const soakMinutes = Number(values['soak-minutes'] ?? (values.quick ? 1 : 10));
const machine = { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, memory_gb: Math.round(os.totalmem() / 2 ** 30), node: process.version };
console.log(`FaceML benchmark on ${machine.cpu} (${machine.cores} cores, ${machine.memory_gb} GB), Node ${machine.node}\n`);

// The default detector's pipeline serves every section; the cascade's is measured beside it.
const pipeline = await createNodePipeline({ modelDir: values.model });
const others = await Promise.all(DETECTOR_NAMES.filter((d) => d !== pipeline.detector.name).map((detector) => createNodePipeline({ modelDir: values.model, detector })));
const dir = ferDir('test');
const faces = dir ? await ferSample(dir, 40) : null;
const out: Record<string, unknown> = { machine };

if (!values.only || values.only === 'core') {
  const core = await benchCore([pipeline, ...others], faces, values.quick ? 20 : 100);
  console.log(core.text + '\n');
  out.core = core.figures;
}
if ((!values.only || values.only === 'server') && faces) {
  const server = await benchServer(pipeline, faces, values.quick ? 3 : 10);
  console.log(server.text + '\n');
  out.server = server.figures;
  const attack = await benchServerUnderAttack(pipeline, faces);
  console.log(attack.text + '\n');
  out.server_under_attack = attack.figures;
}
if ((!values.only || values.only === 'extension') && faces) {
  if (!existsSync(path.join(PROJECT_ROOT, '.output/chrome-mv3/manifest.json'))) execFileSync('npx', ['wxt', 'build'], { cwd: PROJECT_ROOT, stdio: 'inherit' });
  const ext = await benchExtension(faces, { ferTestDir: dir!, detect: async (scene) => pipeline.detector.detect(scene.rgba), seconds: values.quick ? 5 : 20, soakMinutes });
  console.log(ext.text + '\n');
  out.extension = ext.figures;
}
if ((!values.only || values.only === 'vs') && faces && dir) {
  const vs = await benchCompetitors(faces, await ferSample(dir, values.quick ? 140 : 700), values.quick ? 5 : 20);
  console.log(vs.text + '\n');
  out.versus = vs.figures;
}
if (!values.only || values.only === 'history') {
  const history = await benchHistory(1);
  console.log(history.text + '\n');
  out.history = history.figures;
}
console.log(JSON.stringify(out));
