import type { EmotionPipeline } from '../src/core/pipeline';
import type { DatasetItem } from '../src/node/dataset';
import { composeScene } from '../src/node/synthetic';
import { buildServer } from '../src/server/app';
import { slowUpload, webpBomb } from '../test/helpers/attacks';
import { percentile, round } from './stats';

export interface AttackFigures {
  bombs: number;
  heavy_images: number;
  slow_uploads: number;
  normal_requests: number;
  normal_p50_ms: number;
  normal_max_ms: number;
  bombs_refused_4xx: number;
  rss_growth_mb: number;
}

/**
 * The REST server's goal under attack (issue: hardening): a normal request (640x480 JPEG, one
 * face) answered within 1 s while 20 decompression bombs (2 KB WebPs declaring 6300x6300), 8
 * heavy images under the pixel limit (3400x3400) and 40 slow uploads are in flight, with RSS
 * growth under 300 MB, every bomb refused with a 4xx.
 */
export async function benchServerUnderAttack(pipeline: EmotionPipeline, faces: DatasetItem[]): Promise<{ figures: AttackFigures; text: string }> {
  const scene = await composeScene(640, 480, [{ file: faces[0].file, x: 220, y: 120, size: 200 }], 1);
  const normalBody = JSON.stringify({ image: `data:image/jpeg;base64,${scene.jpeg.toString('base64')}` });
  const { app, loaded } = await buildServer({ loadPipeline: async () => pipeline, version: 'bench', log: () => {} });
  await loaded;
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  const url = `http://127.0.0.1:${port}/predict_emotion`;
  const post = (body: string) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const webpBody = async (w: number, h: number) => JSON.stringify({ image: `data:image/webp;base64,${(await webpBomb(w, h)).toString('base64')}` });
  try {
    const bombs = await Promise.all(Array.from({ length: 20 }, (_, i) => webpBody(6300 - i, 6300)));
    const heavy = await Promise.all(Array.from({ length: 8 }, (_, i) => webpBody(3400 - i, 3400)));
    await post(normalBody); // warm
    const rss0 = process.memoryUsage().rss;
    const slow = Array.from({ length: 40 }, () => slowUpload(port, 5_000_000, 1_000_000, 500));
    const bombAnswers = Promise.all(bombs.map((b) => post(b).then((r) => r.status)));
    const heavyAnswers = Promise.all(heavy.map((b) => post(b).then((r) => r.status)));
    const latencies: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      const res = await post(normalBody);
      await res.text();
      if (res.status === 200) latencies.push(performance.now() - t0);
    }
    const statuses = await bombAnswers;
    await heavyAnswers;
    const growth = process.memoryUsage().rss - rss0;
    slow.forEach((s) => s.destroy());
    const figures: AttackFigures = {
      bombs: bombs.length,
      heavy_images: heavy.length,
      slow_uploads: slow.length,
      normal_requests: latencies.length,
      normal_p50_ms: round(percentile(latencies, 50), 0),
      normal_max_ms: round(Math.max(...latencies), 0),
      bombs_refused_4xx: statuses.filter((s) => s >= 400 && s < 500).length,
      rss_growth_mb: round(growth / 1e6, 0),
    };
    const text = [
      `REST server under attack: ${figures.bombs} decompression bombs, ${figures.heavy_images} heavy 3400x3400 images and ${figures.slow_uploads} slow uploads in flight`,
      `  normal requests answered: ${figures.normal_requests}/10, p50 ${figures.normal_p50_ms} ms, max ${figures.normal_max_ms} ms (goal <= 1000 ms)`,
      `  bombs refused with 4xx: ${figures.bombs_refused_4xx}/${figures.bombs}; RSS growth ${figures.rss_growth_mb} MB (goal < 300 MB)`,
    ].join('\n');
    return { figures, text };
  } finally {
    await app.close();
  }
}
