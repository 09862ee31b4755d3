import type { FastifyInstance } from 'fastify';
import type { StreamRegistry } from '../../src/server/streams';
import { buildServer, type ServerOptions } from '../../src/server/app';
import { getPipeline } from './pipeline';

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  loaded: Promise<void>;
  streams: StreamRegistry;
  post: (path: string, body: unknown, headers?: Record<string, string>) => Promise<{ status: number; headers: Headers; json: any }>;
}

/** The real REST server on an ephemeral loopback port, with the real pipeline. */
export async function startServer(options: Partial<ServerOptions> = {}): Promise<RunningServer> {
  const { app, loaded, streams } = await buildServer({ loadPipeline: getPipeline, version: 'test', log: () => {}, ...options });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  const url = `http://127.0.0.1:${address.port}`;
  const post = async (path: string, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) => {
    const res = await fetch(url + path, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = { raw: text };
    }
    return { status: res.status, headers: res.headers, json };
  };
  return { app, url, loaded, streams, post };
}

export const dataUrl = (bytes: Uint8Array | Buffer, mime = 'image/jpeg') => `data:${mime};base64,${Buffer.from(bytes).toString('base64')}`;
