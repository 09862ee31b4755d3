import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { readPickedFiles } from '../../src/extension/model-import';

describe('model import: picked files', () => {
  it('refuses a zip whose entries unpack to more than 64 MB, whatever its own size', async () => {
    // 200 MB of zeros deflate to about 200 KB: the compressed size says nothing.
    const bomb = zipSync({ 'model.json': new TextEncoder().encode('{}'), 'weights.bin': new Uint8Array(200 * 1024 * 1024) }, { level: 9 });
    expect(bomb.length).toBeLessThan(2 * 1024 * 1024);
    const before = process.memoryUsage().rss;
    await expect(readPickedFiles([new File([bomb], 'model.zip')])).rejects.toMatchObject({ code: 'MODEL_LOAD_FAILED', message: expect.stringMatching(/more than 64 MB once unpacked/) });
    // Nothing near the unpacked size was allocated.
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024);
  });

  it('unpacks a zip of a model folder (with its parent directory) to base names', async () => {
    const zip = zipSync({ 'emotion/model.json': new TextEncoder().encode('{}'), 'emotion/weights.bin': new Uint8Array(16), 'emotion/': new Uint8Array(0) });
    const files = await readPickedFiles([new File([zip], 'emotion.zip')]);
    expect([...files.keys()].sort()).toEqual(['model.json', 'weights.bin']);
    expect(files.get('weights.bin')!.length).toBe(16);
  });
});
