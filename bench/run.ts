/**
 * npm run bench [-- --model <dir>] [--quick] [--only core|server]
 * Prints tables, then, as the LAST line, one JSON object with every figure.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { createNodePipeline } from '../src/node/pipeline';
import { ferDir, ferSample } from '../test/helpers/fer';
import { benchCore } from './core';
import { benchServer } from './server';

const { values } = parseArgs({ options: { model: { type: 'string' }, quick: { type: 'boolean', default: false }, only: { type: 'string' } } });
const machine = { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, memory_gb: Math.round(os.totalmem() / 2 ** 30), node: process.version };
console.log(`FaceML benchmark on ${machine.cpu} (${machine.cores} cores, ${machine.memory_gb} GB), Node ${machine.node}\n`);

const pipeline = await createNodePipeline({ modelDir: values.model });
const dir = ferDir('test');
const faces = dir ? await ferSample(dir, 40) : null;
const out: Record<string, unknown> = { machine };

if (!values.only || values.only === 'core') {
  const core = await benchCore(pipeline, faces, values.quick ? 20 : 100);
  console.log(core.text + '\n');
  out.core = core.figures;
}
if ((!values.only || values.only === 'server') && faces) {
  const server = await benchServer(pipeline, faces, values.quick ? 3 : 10);
  console.log(server.text + '\n');
  out.server = server.figures;
}
console.log(JSON.stringify(out));
