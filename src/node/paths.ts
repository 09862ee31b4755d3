import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Well-known locations inside the project checkout. */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DEFAULT_MODEL_DIR = path.join(PROJECT_ROOT, 'public/models/emotion');
export const DEFAULT_CASCADE_FILE = path.join(PROJECT_ROOT, 'public/models/haarcascade_frontalface_default.xml');
export const WASM_DIR = path.join(PROJECT_ROOT, 'node_modules/@tensorflow/tfjs-backend-wasm/dist') + path.sep;
/** Runs a TypeScript entry point as a child process. */
export const TSX_BIN = path.join(PROJECT_ROOT, 'node_modules/.bin/tsx');
/**
 * BlazeFace as @vladmandic/human ships it (a pinned dependency): model files are read from the
 * package, never copied into the repo; the extension build copies them to models/blazeface/.
 */
export const BLAZEFACE_DIR = path.join(PROJECT_ROOT, 'node_modules/@vladmandic/human/models');
export const BLAZEFACE_JSON = 'blazeface.json';
