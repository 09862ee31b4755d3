import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchImage } from '../../src/extension/background/image-analysis';

describe('right-click image download', () => {
  let server: http.Server;
  let url: string;
  let sentBytes = 0;

  beforeAll(async () => {
    // An endless image body without Content-Length (chunked), and one that lies about its length.
    server = http.createServer((req, res) => {
      if (req.url === '/page.html') return res.writeHead(200, { 'content-type': 'text/html' }).end('<html></html>');
      if (req.url === '/big-declared.jpg') return res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': String(900 * 1024 * 1024) }).end();
      res.writeHead(200, { 'content-type': 'image/jpeg' });
      const chunk = Buffer.alloc(64 * 1024, 0xff);
      const pump = () => {
        while (!res.destroyed && sentBytes < 200 * 1024 * 1024) {
          sentBytes += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', () => undefined);
      pump();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => server.close());

  it('stops reading a body at the byte cap, whatever Content-Length says or does not say', async () => {
    await expect(fetchImage(`${url}/endless.jpg`, 4 * 1024 * 1024)).rejects.toThrow(/larger than 4 MB/);
    // Far less than the 200 MB the server would have sent was read.
    await new Promise((r) => setTimeout(r, 200));
    expect(sentBytes).toBeLessThan(64 * 1024 * 1024);
    await expect(fetchImage(`${url}/big-declared.jpg`, 4 * 1024 * 1024)).rejects.toThrow(/larger than 4 MB/);
  });

  it('refuses what is not an image, and reads a data: URL', async () => {
    await expect(fetchImage(`${url}/page.html`)).rejects.toThrow(/not an image \(text\/html\)/);
    const png = 'data:image/png;base64,iVBORw0KGgo=';
    expect(await fetchImage(png)).toBe(png);
  });
});
