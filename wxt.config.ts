import path from 'node:path';
import { defineConfig } from 'wxt';

const wasmDir = path.resolve('node_modules/@tensorflow/tfjs-backend-wasm/dist');

export default defineConfig({
  manifest: ({ manifestVersion }) => ({
    name: 'FaceML: on-device emotion detection',
    description: 'Detects facial emotions in videos, your webcam and images, entirely on your device.',
    // Least privilege: no host permissions. activeTab + scripting inject the content script into
    // the tab the user turns on; offscreen hosts the models; storage keeps settings and history;
    // contextMenus adds "Analyze emotions in this image"; sidePanel shows live faces and history.
    // Firefox (MV2) has no offscreen documents and uses sidebar_action instead of sidePanel.
    permissions:
      manifestVersion === 2
        ? ['activeTab', 'scripting', 'storage', 'contextMenus']
        : ['activeTab', 'scripting', 'offscreen', 'storage', 'contextMenus', 'sidePanel'],
    // Frames from other sites (an embedded player, a call widget): read only after the user
    // allows that site from the popup; until then their on-screen pixels come from tab captures.
    ...(manifestVersion === 2 ? { optional_permissions: ['<all_urls>'] } : { optional_host_permissions: ['<all_urls>'] }),
    action: { default_title: 'FaceML: toggle emotion detection on this tab' },
    commands: {
      'toggle-detection': {
        suggested_key: { default: 'Alt+Shift+E' },
        description: 'Toggle emotion detection on this tab',
      },
    },
    content_security_policy:
      manifestVersion === 2
        ? // Firefox: the engine runs in the background page, so opencv.js (which needs eval) runs
          // there; MV2 allows that for extension pages. Content scripts are not affected.
          "script-src 'self' 'unsafe-eval'; object-src 'self';"
        : {
            // wasm for tfjs; opencv.js needs eval and therefore runs only in the sandbox page.
            extension_pages: "script-src 'self' 'wasm-unsafe-eval'; object-src 'self';",
            sandbox: "sandbox allow-scripts; script-src 'self' 'unsafe-eval' 'wasm-unsafe-eval'; object-src 'none';",
          },
    ...(manifestVersion === 2 ? { browser_specific_settings: { gecko: { id: 'faceml@faceml.local', strict_min_version: '128.0' } } } : {}),
  }),
  hooks: {
    // WXT adds <all_urls> host access for runtime-registered content scripts; FaceML needs none
    // (activeTab grants the tab the user turned on).
    'build:manifestGenerated': (_wxt, manifest) => {
      delete manifest.host_permissions;
    },
    'build:publicAssets': (_wxt, files) => {
      for (const name of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm']) {
        files.push({ absoluteSrc: path.join(wasmDir, name), relativeDest: `wasm/${name}` });
      }
      files.push({ absoluteSrc: path.resolve('node_modules/@techstark/opencv-js/dist/opencv.js'), relativeDest: 'vendor/opencv.js' });
      // The BlazeFace face detector, from the pinned @vladmandic/human package (MIT; the weights
      // are Google's MediaPipe BlazeFace, Apache-2.0): loaded by the engine from these files only.
      const human = path.resolve('node_modules/@vladmandic/human/models');
      files.push({ absoluteSrc: path.join(human, 'blazeface.json'), relativeDest: 'models/blazeface/model.json' });
      files.push({ absoluteSrc: path.join(human, 'blazeface.bin'), relativeDest: 'models/blazeface/blazeface.bin' });
    },
  },
});
