import { browser } from 'wxt/browser';
import { tf } from '../../src/core/tf-backend';
import { startOffscreenEngine } from '../../src/extension/engine/engine';
import { exposeTestHooks } from '../../src/extension/test-hooks';

const engine = startOffscreenEngine(browser);
exposeTestHooks({ __facemlEngine: { memory: () => tf.memory(), trackers: () => engine.streams() } });
