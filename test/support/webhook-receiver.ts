import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the receiver got, and whether its signature checked out. */
export interface Received {
  at: number;
  path: string;
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  json: { type: string; timestamp: string; data: Record<string, unknown> };
  verified: boolean;
}

/** How the receiver answers a request: a status (and headers), a hang, or a slow answer. */
export type Answer = { status: number; headers?: Record<string, string>; delayMs?: number } | { hang: true };

/**
 * Verifies a Standard Webhooks signature the long way, with node:crypto
 * alone: independent of the `standardwebhooks` package the service signs with.
 */
export function verifySignature(secret: string, id: string, timestamp: string, body: string, header: string): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
  return header.split(' ').some((sig) => {
    const [version, value] = sig.split(',');
    if (version !== 'v1' || !value) return false;
    const got = Buffer.from(value, 'base64');
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
}

/** A real HTTP receiver on 127.0.0.1 that records every webhook and answers as told. */
export class WebhookReceiver {
  readonly received: Received[] = [];
  /** Secrets by path, to verify with. */
  readonly secrets = new Map<string, string>();
  answer: (r: Received, path: string) => Answer = () => ({ status: 204 });
  private server?: http.Server;
  private readonly sockets = new Set<import('node:net').Socket>();
  port = 0;

  url(path = '/hook'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  for(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  async start(port = 0): Promise<void> {
    this.server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const path = req.url ?? '/';
        const id = String(req.headers['webhook-id'] ?? '');
        const timestamp = String(req.headers['webhook-timestamp'] ?? '');
        const secret = this.secrets.get(path) ?? '';
        const r: Received = {
          at: Date.now(),
          id,
          timestamp,
          signature: String(req.headers['webhook-signature'] ?? ''),
          body,
          json: JSON.parse(body) as Received['json'],
          verified: verifySignature(secret, id, timestamp, body, String(req.headers['webhook-signature'] ?? '')),
          path,
        };
        this.received.push(r);
        const a = this.answer(r, path);
        if ('hang' in a) return;
        setTimeout(() => res.writeHead(a.status, a.headers).end(), a.delayMs ?? 0);
      });
    });
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Closes the port: the next attempts find the connection refused. */
  async stop(): Promise<void> {
    this.sockets.forEach((s) => s.destroy());
    await new Promise((r) => this.server?.close(r));
    this.server = undefined;
  }
}
