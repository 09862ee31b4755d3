import http from 'node:http';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

const TYPES: Record<string, string> = { '.html': 'text/html', '.png': 'image/png', '.jpg': 'image/jpeg', '.js': 'text/javascript', '.webm': 'video/webm' };

/** Serves files from `roots` (first match wins) on an ephemeral loopback port. */
export async function serveStatic(roots: string[]): Promise<{ origin: string; close: () => Promise<void> }> {
  const server = http.createServer(async (req, res) => {
    const name = path.basename(new URL(req.url ?? '/', 'http://x').pathname);
    for (const root of roots) {
      try {
        const data = await readFile(path.join(root, name));
        res.writeHead(200, { 'content-type': TYPES[path.extname(name)] ?? 'application/octet-stream' });
        res.end(data);
        return;
      } catch {
        // try the next root
      }
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { origin: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}
