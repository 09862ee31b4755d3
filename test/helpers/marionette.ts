import net from 'node:net';

/**
 * A minimal client for Marionette, Firefox's own remote protocol (what geckodriver speaks to).
 * Puppeteer drives Firefox over WebDriver BiDi, which cannot open moz-extension:// pages, press
 * browser shortcuts or see a content script's closed shadow root; Marionette can (chrome context
 * and the "system" sandbox). geckodriver itself is a download this machine cannot make.
 *
 * Wire format: `<length>:<json>`; commands are [0, id, name, params], replies [1, id, error, result].
 */
export class Marionette {
  private buffer = Buffer.alloc(0);
  private nextId = 1;
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private greeting: Promise<unknown>;
  private greeted!: (v: unknown) => void;

  private constructor(private socket: net.Socket) {
    this.greeting = new Promise((r) => (this.greeted = r));
    socket.on('data', (chunk) => this.receive(chunk));
    socket.on('close', () => {
      for (const p of this.pending.values()) p.reject(new Error('Marionette connection closed'));
      this.pending.clear();
    });
  }

  /** Connects, retrying while Firefox starts up. */
  static async connect(port: number, timeoutMs = 60_000): Promise<Marionette> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      try {
        const socket = await new Promise<net.Socket>((resolve, reject) => {
          const s = net.connect(port, '127.0.0.1', () => resolve(s));
          s.once('error', reject);
        });
        const client = new Marionette(socket);
        await client.greeting;
        return client;
      } catch (err) {
        if (Date.now() > end) throw new Error(`Marionette did not answer on port ${port}: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  private receive(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const colon = this.buffer.indexOf(':');
      if (colon < 0) return;
      const length = Number(this.buffer.subarray(0, colon).toString());
      if (this.buffer.length < colon + 1 + length) return;
      const message = JSON.parse(this.buffer.subarray(colon + 1, colon + 1 + length).toString());
      this.buffer = this.buffer.subarray(colon + 1 + length);
      if (!Array.isArray(message)) {
        this.greeted(message);
        continue;
      }
      const [, id, error, result] = message as [number, number, { error: string; message: string } | null, unknown];
      const waiter = this.pending.get(id);
      this.pending.delete(id);
      if (!waiter) continue;
      if (error) waiter.reject(new Error(`${error.error}: ${error.message}`));
      else waiter.resolve(result);
    }
  }

  send<T = unknown>(command: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    const body = Buffer.from(JSON.stringify([0, id, command, params]));
    this.socket.write(`${body.length}:`);
    this.socket.write(body);
    return new Promise<T>((resolve, reject) => this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject }));
  }

  /** Runs a function body in the current context; `arguments` holds args. Returns its value. */
  async execute<T = unknown>(script: string, args: unknown[] = [], sandbox?: string): Promise<T> {
    const reply = await this.send<{ value: T }>('WebDriver:ExecuteScript', { script, args, ...(sandbox ? { sandbox } : {}) });
    return reply.value;
  }

  setContext(value: 'chrome' | 'content'): Promise<unknown> {
    return this.send('Marionette:SetContext', { value });
  }

  close(): void {
    this.socket.destroy();
  }
}
