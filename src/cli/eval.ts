/**
 * npm run eval -- --data <dir> [--json] [--detect] [--detector blazeface|haar] [--model <dir>] [--limit N]
 *                  [--views both|asIs|mirrored] [--video-frames N]
 *
 * Evaluates the emotion model on a folder of <class>/*.jpg through the shared pipeline. With
 * --json the last line of stdout is one JSON object (a contract: keep its keys stable).
 */
import { parseArgs } from 'node:util';
import { DEFAULT_VIEWS, VIEWS, type FaceViews } from '../core/classifier';
import { FaceMLError } from '../core/errors';
import { threadsText, wasmThreadsInUse } from '../core/tf-backend';
import { evaluateDataset, formatReport } from '../eval/evaluate';
import { listDataset } from '../node/dataset';
import { createNodePipeline, parseDetectorName } from '../node/pipeline';

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        data: { type: 'string' },
        json: { type: 'boolean', default: false },
        detect: { type: 'boolean', default: false },
        detector: { type: 'string' },
        model: { type: 'string' },
        limit: { type: 'string' },
        views: { type: 'string', default: DEFAULT_VIEWS },
        'video-frames': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    console.error(`eval: ${(err as Error).message}`);
    return 2;
  }
  if (values.help || !values.data) {
    console.error('usage: npm run eval -- --data <dir of <class>/*.jpg> [--json] [--detect] [--detector blazeface|haar] [--model <model dir>] [--limit N] [--views both|asIs|mirrored] [--video-frames N]');
    return values.help ? 0 : 2;
  }
  const views = values.views as FaceViews;
  if (!VIEWS.includes(views)) throw new FaceMLError('INVALID_ARGUMENT', `--views must be one of ${VIEWS.join(', ')}, got ${values.views}`);
  const videoFrames = values['video-frames'] === undefined ? undefined : Number(values['video-frames']);
  if (videoFrames !== undefined && !(Number.isInteger(videoFrames) && videoFrames > 0)) {
    throw new FaceMLError('INVALID_ARGUMENT', `--video-frames must be a positive integer, got ${values['video-frames']}`);
  }
  let items = await listDataset(values.data);
  if (values.limit) {
    const limit = Number(values.limit);
    if (!Number.isInteger(limit) || limit <= 0) throw new FaceMLError('INVALID_ARGUMENT', `--limit must be a positive integer, got ${values.limit}`);
    const step = items.length / Math.min(limit, items.length);
    items = Array.from({ length: Math.min(limit, items.length) }, (_, i) => items[Math.floor(i * step)]);
  }
  const detector = parseDetectorName(values.detector, '--detector');
  const pipeline = await createNodePipeline({ modelDir: values.model, detector });
  const progress = process.stderr.isTTY
    ? (done: number, total: number) => {
        if (done % 100 === 0 || done === total) process.stderr.write(`\r${done}/${total}`);
      }
    : undefined;
  const report = await evaluateDataset(pipeline, items, { detect: values.detect, views, videoFrames, onProgress: progress });
  if (progress) process.stderr.write('\n');
  if (values.json) {
    console.log(JSON.stringify(report));
  } else {
    console.log(formatReport(report));
    if (values.detect) console.log(`face detector: ${pipeline.detector.name}`);
    console.log(`classifier on tfjs-wasm, ${threadsText(wasmThreadsInUse())} (FACEML_WASM_THREADS sets it)`);
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`eval: ${err instanceof FaceMLError ? `${err.code}: ` : ''}${(err as Error).message}`);
    process.exit(1);
  },
);
