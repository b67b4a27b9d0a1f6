import net from 'node:net';
import type { AddressInfo } from 'node:net';

/** A small seeded PRNG (mulberry32): a failing run can be replayed with its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A TCP proxy on 127.0.0.1 in front of an HTTP server that drops
 * connections the way a flaky network or a restarting load balancer does:
 * each connection may carry only a random number of bytes from the server
 * (`budget()`), after which it is cut in the middle of whatever it was
 * sending: a header, an event, a UTF-8 character. What the client sends
 * passes untouched.
 */
export class DroppingProxy {
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  /** Connections cut so far. */
  cuts = 0;
  /** Connections accepted so far. */
  connections = 0;
  port = 0;

  constructor(
    private readonly targetPort: number,
    /** Bytes the next connection may carry from the server; Infinity lets it be. */
    public budget: () => number,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.server = net.createServer((client) => this.accept(client));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private accept(client: net.Socket): void {
    this.connections++;
    let left = this.budget();
    let cut = false;
    const upstream = net.connect(this.targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      if (cut) return;
      if (chunk.length < left) {
        left -= chunk.length;
        client.write(chunk);
        return;
      }
      // The cut: the bytes up to the budget, then both ends gone (a reset to the client).
      cut = true;
      this.cuts++;
      upstream.destroy();
      client.write(chunk.subarray(0, left), () => client.resetAndDestroy());
    });
  }
}
