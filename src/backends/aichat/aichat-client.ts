import { AichatError, envelopeError, networkError } from './aichat-errors.js';

/**
 * The aichat HTTP service (docs/aichat.md): JSON calls and the turn stream,
 * the bearer token on every one, failures as AichatError with our codes
 * (aichat-errors.ts: whether the request may have reached aichat decides the code).
 */
export class AichatClient {
  private readonly base: string;

  constructor(
    baseUrl: string,
    private readonly token: string,
  ) {
    this.base = baseUrl.replace(/\/+$/, '');
  }

  async json<T>(method: 'GET' | 'POST', path: string, body: unknown, signal: AbortSignal): Promise<T> {
    const res = await this.send(method, path, body, signal, 'application/json');
    const text = await res.text().catch((e: unknown) => {
      throw networkError(e, `${method} ${path}`);
    });
    try {
      return JSON.parse(text) as T;
    } catch {
      // A 2xx came back, so aichat had the request; what it (or something in between) sent is unreadable.
      throw new AichatError('upstream_error', `aichat sent ${method} ${path} an answer that is not JSON`, true);
    }
  }

  /** Opens the turn stream; the caller reads the body. */
  stream(path: string, body: unknown, signal: AbortSignal): Promise<Response> {
    return this.send('POST', path, body, signal, 'text/event-stream');
  }

  private async send(method: string, path: string, body: unknown, signal: AbortSignal, accept: string): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        signal,
        headers: { Authorization: `Bearer ${this.token}`, Accept: accept, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
    } catch (e) {
      throw networkError(e, `${method} ${path}`);
    }
    if (!res.ok) throw envelopeError(res.status, await res.text().catch(() => ''));
    return res;
  }
}
