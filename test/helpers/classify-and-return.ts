/**
 * Builds the Node pipeline, classifies one face and returns without process.exit(): the process
 * must then end by itself (test/core/wasm-threads.test.ts), as scripts like `npm run bench` rely on.
 */
import { wasmThreadsInUse } from '../../src/core/tf-backend';
import { createNodePipeline } from '../../src/node/pipeline';

const pipeline = await createNodePipeline();
const [scores] = await pipeline.classifier.classify(new Float32Array(48 * 48).fill(0.5), 1);
console.log(JSON.stringify({ threads: wasmThreadsInUse(), sum: scores.reduce((a, b) => a + b, 0) }));
