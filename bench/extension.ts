import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { Page } from 'puppeteer';
import { DETECTOR_NAMES, type DetectorName } from '../src/core/pipeline';
import type { DatasetItem } from '../src/node/dataset';
import { PROJECT_ROOT } from '../src/node/paths';
import { composeScene, type Scene } from '../src/node/synthetic';
import type { Box } from '../src/core/image';
import { launchWithExtension, waitFor, type ExtensionBrowser } from '../test/helpers/browser';
import { writeGalleryFrame } from '../test/helpers/scenes';
import { serveStatic } from '../test/helpers/static-server';
import { grid } from './core';
import { percentile, round, table } from './stats';

export interface ExtensionFigures {
  frames: { detector: DetectorName; faces: number; videos: number; fps_total: number; fps_per_video: number; latency_ms_p50: number; latency_ms_p95: number; faces_drawn: number }[];
  soak: null | {
    minutes: number;
    samples: { minute: number; heap_mb: number; tensors: number; cpu_percent: number }[];
    heap_mb_first: number;
    heap_mb_last: number;
    tensors_first: number;
    tensors_last: number;
    cpu_percent_mean: number;
  };
}

const PAGES = path.join(PROJECT_ROOT, 'test/browser/pages');

type Sampler = { stats(reset?: boolean): { frames: number; latencies: number[] }; live(): { faces: unknown[] } };

/** Asks the content script's sampler: its stats since the last reset (and reset), or how many faces it shows. */
async function sampler(page: Page, op: 'stats'): Promise<{ frames: number; latencies: number[] }>;
async function sampler(page: Page, op: 'faces'): Promise<number>;
async function sampler(page: Page, op: 'stats' | 'faces'): Promise<unknown> {
  for (const realm of page.extensionRealms()) {
    const out = await realm
      .evaluate((what: string) => {
        const s = (globalThis as { __faceml?: Sampler }).__faceml;
        if (!s) return null;
        return { value: what === 'stats' ? s.stats(true) : s.live().faces.length };
      }, op)
      .catch(() => null);
    if (out) return out.value;
  }
  throw new Error('content script not found');
}

/**
 * Settings for the measurement, written from an extension page (storage is closed to content
 * scripts): the highest sampling rate, so throughput is the engine's, not the setting's, and the
 * face detector measured. A changed detector restarts the engine; the run waits for faces again.
 */
async function setSettings(ext: ExtensionBrowser, settings: { fps: number; detector: DetectorName }): Promise<void> {
  const page = await ext.storagePage();
  await page.evaluate((s) => (globalThis as any).chrome.storage.local.set({ 'faceml:settings': s }), settings);
}

async function offscreenPage(ext: ExtensionBrowser): Promise<Page> {
  const target = await ext.browser.waitForTarget((t) => t.url().endsWith('/offscreen.html'), { timeout: 30_000 });
  return (await target.asPage())!;
}

/**
 * The extension end to end in Chromium: analysed frames per second and frame latency (frame
 * grabbed by the content script -> overlay drawn) on 640x480 videos, then an optional soak run
 * sampling the offscreen document's JS heap, tfjs tensors and CPU.
 */
export async function benchExtension(faces: DatasetItem[], opts: { ferTestDir: string; detect: (scene: Scene) => Promise<Box[]>; seconds: number; soakMinutes: number }): Promise<{ figures: ExtensionFigures; text: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'faceml-bench-ext-'));
  for (const n of [1, 4, 9]) {
    const scene = await composeScene(640, 480, grid(faces, n), n);
    await writeFile(path.join(dir, `faces${n}.png`), await sharp(scene.jpeg).png().toBuffer());
  }
  // The 1080p gallery of 16 small faces the gallery test plays, shown at 1280x720 (53-80 px on screen).
  await writeGalleryFrame(path.join(dir, 'gallery.png'), opts.ferTestDir, opts.detect);
  const site = await serveStatic([PAGES, dir]);
  const ext = await launchWithExtension();
  const figures: ExtensionFigures = { frames: [], soak: null };
  try {
    const page = await ext.browser.newPage();
    const runs: { detector: DetectorName; faces: number; videos: number; url?: string }[] = [
      ...DETECTOR_NAMES.flatMap((detector) => [
        { detector, faces: 1, videos: 1 },
        { detector, faces: 4, videos: 1 },
        { detector, faces: 9, videos: 1 },
        { detector, faces: 1, videos: 12 },
      ]),
      { detector: 'blazeface', faces: 16, videos: 1, url: 'reach.html?shape=video&frames=gallery.png&w=1920&h=1080&sw=1280&sh=720' },
    ];
    await page.setViewport({ width: 1400, height: 900 });
    for (const run of runs) {
      await setSettings(ext, { fps: 30, detector: run.detector });
      await page.goto(`${site.origin}/${run.url ?? `video.html?frames=faces${run.faces}.png&count=${run.videos}`}`);
      await page.waitForFunction(() => (window as { videoReady?: boolean }).videoReady === true);
      await ext.clickAction(page); // a navigation turned the previous run off
      await waitFor(async () => ((await sampler(page, 'faces')) > 0 ? true : null), 60_000);
      await new Promise((r) => setTimeout(r, 2000)); // warm-up
      await sampler(page, 'stats');
      const t0 = Date.now();
      await new Promise((r) => setTimeout(r, opts.seconds * 1000));
      const { frames, latencies } = await sampler(page, 'stats');
      const drawn = await sampler(page, 'faces');
      const fps = frames / ((Date.now() - t0) / 1000);
      figures.frames.push({
        detector: run.detector,
        faces: run.faces,
        videos: run.videos,
        fps_total: round(fps, 1),
        fps_per_video: round(fps / run.videos, 1),
        latency_ms_p50: round(percentile(latencies, 50), 1),
        latency_ms_p95: round(percentile(latencies, 95), 1),
        faces_drawn: drawn,
      });
    }

    if (opts.soakMinutes > 0) {
      await page.goto(`${site.origin}/video.html?frames=faces4.png`);
      await page.waitForFunction(() => (window as { videoReady?: boolean }).videoReady === true);
      await ext.clickAction(page);
      await waitFor(async () => ((await sampler(page, 'faces')) > 0 ? true : null), 60_000);
      const engine = await offscreenPage(ext);
      const cdp = await engine.createCDPSession();
      const samples: NonNullable<ExtensionFigures['soak']>['samples'] = [];
      const intervalMs = Math.min(30_000, (opts.soakMinutes * 60_000) / 10);
      let last = await engine.metrics();
      const start = Date.now();
      while (Date.now() - start < opts.soakMinutes * 60_000) {
        await new Promise((r) => setTimeout(r, intervalMs));
        await cdp.send('HeapProfiler.collectGarbage');
        const m = await engine.metrics();
        const tensors = await engine.evaluate(() => (globalThis as any).__facemlEngine.memory().numTensors as number);
        const cpu = ((m.TaskDuration! - last.TaskDuration!) / ((m.Timestamp! - last.Timestamp!) || 1)) * 100;
        last = m;
        samples.push({ minute: round((Date.now() - start) / 60_000, 1), heap_mb: round(m.JSHeapUsedSize! / 2 ** 20, 1), tensors, cpu_percent: round(cpu, 1) });
      }
      figures.soak = {
        minutes: opts.soakMinutes,
        samples,
        heap_mb_first: samples[0].heap_mb,
        heap_mb_last: samples.at(-1)!.heap_mb,
        tensors_first: samples[0].tensors,
        tensors_last: samples.at(-1)!.tensors,
        cpu_percent_mean: round(samples.reduce((a, s) => a + s.cpu_percent, 0) / samples.length, 1),
      };
    }
  } finally {
    await ext.close();
    await site.close();
  }
  const s = figures.soak;
  const text = [
    'Extension end to end in Chromium (headless, offscreen engine on tfjs-wasm; sampling rate set to its maximum, 30/s; 640x480 videos shown at 640x480, except the 16-face row: a 1920x1080 gallery shown at 1280x720)',
    table(
      ['detector', 'faces', 'videos', 'analysed fps (all)', 'fps per video', 'latency p50', 'latency p95', 'faces drawn'],
      figures.frames.map((f) => [f.detector, f.faces, f.videos, f.fps_total, f.fps_per_video, `${f.latency_ms_p50} ms`, `${f.latency_ms_p95} ms`, f.faces_drawn]),
    ),
    '',
    s
      ? [
          `Soak: ${s.minutes} min, 4 faces: offscreen JS heap ${s.heap_mb_first} -> ${s.heap_mb_last} MB, tfjs tensors ${s.tensors_first} -> ${s.tensors_last}, CPU ${s.cpu_percent_mean}% of a core on average`,
          table(['minute', 'heap MB', 'tensors', 'CPU %'], s.samples.map((x) => [x.minute, x.heap_mb, x.tensors, x.cpu_percent])),
        ].join('\n')
      : 'Soak skipped (--soak-minutes 0).',
  ].join('\n');
  return { figures, text };
}
