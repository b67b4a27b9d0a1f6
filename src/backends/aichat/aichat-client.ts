import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { AichatError, envelopeError, networkError } from './aichat-errors.js';

// A connection aichat does not accept within this time was never made: the request was not sent.
const CONNECT_TIMEOUT_MS = 10_000;

/** A 2xx answer whose body has not been read yet. */
export interface AichatResponse {
  status: number;
  /** The body as it arrives; reading it throws if the connection breaks. */
  body: Readable;
}

/**
 * The aichat HTTP service (docs/aichat.md): JSON calls and the turn stream,
 * the bearer token on every one, failures as AichatError with our codes
 * (aichat-errors.ts: whether the request may have reached aichat decides the code).
 *
 * It speaks node:http rather than fetch: a turn stream is one socket read
 * into the parser per network packet, without the web streams fetch puts in
 * between, which at thousands of live turns is much of the gateway's memory
 * and time.
 */
export class AichatClient {
  private readonly base: URL;
  private readonly transport: typeof http | typeof https;
  /** GETs (health, recovery) reuse connections; a stale one is retried, as a GET is safe to send twice. */
  private readonly keptAlive: http.Agent;
  /**
   * POSTs (turns, resets) each get a connection of their own: one aichat had
   * just closed would fail as a reset that cannot be told from aichat taking
   * the turn and dying, and a turn must never be sent twice.
   */
  private readonly fresh: http.Agent;

  constructor(
    baseUrl: string,
    private readonly token: string,
  ) {
    this.base = new URL(baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
    this.transport = this.base.protocol === 'https:' ? https : http;
    this.keptAlive = new this.transport.Agent({ keepAlive: true, scheduling: 'lifo' });
    this.fresh = new this.transport.Agent({ keepAlive: false });
  }

  async json<T>(method: 'GET' | 'POST', path: string, body: unknown, signal: AbortSignal): Promise<T> {
    const res = await this.send(method, path, body, signal, 'application/json');
    let text: string;
    try {
      text = await readAll(res.body);
    } catch (e) {
      throw networkError(signal.aborted ? signal.reason : e, `${method} ${path}`);
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      // A 2xx came back, so aichat had the request; what it (or something in between) sent is unreadable.
      throw new AichatError('upstream_error', `aichat sent ${method} ${path} an answer that is not JSON`, true);
    }
  }

  /** Opens the turn stream; the caller reads the body. */
  stream(path: string, body: unknown, signal: AbortSignal): Promise<AichatResponse> {
    return this.send('POST', path, body, signal, 'text/event-stream');
  }

  /** Frees the kept-alive connections. */
  close(): void {
    this.keptAlive.destroy();
    this.fresh.destroy();
  }

  private async send(method: string, path: string, body: unknown, signal: AbortSignal, accept: string): Promise<AichatResponse> {
    const payload = body !== undefined ? Buffer.from(JSON.stringify(body)) : undefined;
    const url = new URL(path.replace(/^\/+/, ''), this.base);
    for (let attempt = 0; ; attempt++) {
      let res: http.IncomingMessage;
      try {
        res = await this.request(method, url, payload, signal, accept);
      } catch (e) {
        // A kept-alive connection the server had just closed: a GET goes once more, on a new one.
        if (attempt === 0 && (e as StaleSocketError).staleSocket) continue;
        throw networkError(signal.aborted ? signal.reason : e, `${method} ${path}`);
      }
      const status = res.statusCode ?? 0;
      if (status < 200 || status > 299) throw envelopeError(status, await readAll(res).catch(() => ''));
      return { status, body: res };
    }
  }

  private request(method: string, url: URL, payload: Buffer | undefined, signal: AbortSignal, accept: string): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
      const headers: http.OutgoingHttpHeaders = { Authorization: `Bearer ${this.token}`, Accept: accept };
      if (payload) {
        headers['Content-Type'] = 'application/json';
        headers['Content-Length'] = payload.length;
      }
      const req = this.transport.request(url, { method, headers, agent: method === 'GET' ? this.keptAlive : this.fresh, signal });
      req.once('socket', (socket) => {
        if (!socket.connecting) return;
        const timer = setTimeout(
          () => req.destroy(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT', syscall: 'connect' })),
          CONNECT_TIMEOUT_MS,
        );
        socket.once('connect', () => clearTimeout(timer));
        socket.once('close', () => clearTimeout(timer));
      });
      req.once('response', resolve);
      req.once('error', (e: NodeJS.ErrnoException) => {
        const stale = req.reusedSocket && (e.code === 'ECONNRESET' || e.code === 'EPIPE') && !signal.aborted;
        reject(stale ? Object.assign(e, { staleSocket: true }) : e);
      });
      req.end(payload);
    });
  }
}

type StaleSocketError = Error & { staleSocket?: boolean };

async function readAll(body: AsyncIterable<Buffer>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of body) parts.push(chunk);
  return Buffer.concat(parts).toString('utf8');
}
