/**
 * The demo page's site: demo/ and, beside it, the sample photos of the @vladmandic/face-api dev
 * dependency (MIT), read from the installed package (FaceML's repo holds no face images).
 * Used by `npm run demo` and by the demo's browser test.
 */
import path from 'node:path';
import { PROJECT_ROOT } from '../src/node/paths';
import { serveStatic } from '../test/helpers/static-server';

export const DEMO_SAMPLES_DIR = path.join(PROJECT_ROOT, 'node_modules/@vladmandic/face-api/demo');

export const serveDemo = () => serveStatic([path.join(PROJECT_ROOT, 'demo'), DEMO_SAMPLES_DIR]);
