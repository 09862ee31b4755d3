import autocannon from 'autocannon';
import type { EmotionPipeline } from '../src/core/pipeline';
import type { DatasetItem } from '../src/node/dataset';
import { buildServer } from '../src/server/app';
import { composeScene } from '../src/node/synthetic';
import { percentile, round, table } from './stats';

export interface ServerFigures {
  connections: number;
  requests: number;
  errors: number;
  requests_per_s: number;
  p50_ms: number;
  p95_ms: number;
}

/** autocannon against the real server on loopback: 640x480 JPEG with one face. */
export async function benchServer(pipeline: EmotionPipeline, faces: DatasetItem[], seconds: number): Promise<{ figures: ServerFigures[]; text: string }> {
  const scene = await composeScene(640, 480, [{ file: faces[0].file, x: 220, y: 120, size: 200 }], 1);
  const body = JSON.stringify({ image: `data:image/jpeg;base64,${scene.jpeg.toString('base64')}` });
  const { app, loaded } = await buildServer({ loadPipeline: async () => pipeline, version: 'bench', log: () => {}, queueLimit: 1000 });
  await loaded;
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  const figures: ServerFigures[] = [];
  try {
    for (const connections of [1, 8]) {
      const latencies: number[] = [];
      const result = await new Promise<autocannon.Result>((resolve, reject) => {
        const instance = autocannon(
          {
            url: `http://127.0.0.1:${port}/predict_emotion`,
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
            connections,
            duration: seconds,
          },
          (err, res) => (err ? reject(err) : resolve(res)),
        );
        instance.on('response', (_client, status, _bytes, ms) => {
          if (status === 200) latencies.push(ms);
        });
      });
      figures.push({
        connections,
        requests: latencies.length,
        errors: result.errors + result.non2xx,
        requests_per_s: round(latencies.length / seconds, 1),
        p50_ms: round(percentile(latencies, 50), 1),
        p95_ms: round(percentile(latencies, 95), 1),
      });
    }
  } finally {
    await app.close();
  }
  const text = [
    `REST server, POST /predict_emotion, 640x480 JPEG with one face (${(body.length / 1024).toFixed(0)} KB body), ${seconds} s per row`,
    table(['connections', 'req/s', 'p50', 'p95', 'errors'], figures.map((f) => [f.connections, f.requests_per_s, `${f.p50_ms} ms`, `${f.p95_ms} ms`, f.errors])),
  ].join('\n');
  return { figures, text };
}
