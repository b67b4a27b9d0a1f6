import { retryAfterMs, retryDefaults, retryDelay, sleep, type Retry, type RetryOptions } from './backoff.js';
import { PaliadinError } from './errors.js';
import { fetchStream, nodeStream, type OpenedStream } from './stream-transport.js';

export interface ClientOptions {
  /** Where the service is, e.g. `https://paliadin.example.com` (a path prefix is kept). */
  baseUrl: string;
  /** A user JWT or an API key (`pal_…`); or a function giving one, asked before every request (a token that renews). */
  token: string | (() => string | Promise<string>);
  /** Another fetch (a proxy agent, a test's): the global one by default. */
  fetch?: typeof fetch;
  retry?: RetryOptions;
}

export type Query = Record<string, string | number | boolean | undefined>;

/** A route with its parameters encoded, whatever they hold: path`/api/sessions/${sid}/exec`. */
export function path(strings: TemplateStringsArray, ...params: string[]): string {
  return strings.reduce((out, s, i) => out + s + (i < params.length ? encodeURIComponent(params[i]) : ''), '');
}

/** Statuses after which a request that changes nothing may simply be sent again. */
const TRANSIENT = new Set([502, 503, 504]);

/**
 * The client's one way to the service: the bearer token, JSON, errors as
 * PaliadinError, and trying again where that cannot do harm. A GET is tried
 * again after a dropped connection and after 502/503/504; anything else only
 * after a 503, the service's "not taken, try again after Retry-After" (a
 * POST whose connection dropped may have been taken: sending it again could
 * start a second turn, so that is the caller's call).
 */
export class Http {
  readonly retry: Retry;
  private readonly base: string;
  private readonly fetcher: typeof fetch;
  /** Event streams through node:http: in Node, unless the caller gave a fetch of their own. */
  private readonly nodeStreams: boolean;

  constructor(private readonly options: ClientOptions) {
    if (!options.baseUrl) throw new TypeError('createClient: baseUrl is required');
    if (!options.token) throw new TypeError('createClient: token is required');
    this.base = options.baseUrl.replace(/\/+$/, '');
    this.retry = retryDefaults(options.retry);
    // Called as a plain function: a browser's fetch refuses to be called as a method of another object.
    const f = options.fetch ?? globalThis.fetch;
    this.fetcher = (input, init) => f(input, init);
    this.nodeStreams = !options.fetch && typeof process === 'object' && typeof process.versions.node === 'string';
  }

  url(path: string, query?: Query): string {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) params.set(k, String(v));
    const qs = params.toString();
    return `${this.base}${path}${qs ? `?${qs}` : ''}`;
  }

  async headers(extra: Record<string, string> = {}): Promise<Record<string, string>> {
    const token = typeof this.options.token === 'function' ? await this.options.token() : this.options.token;
    return { Authorization: `Bearer ${token}`, ...extra };
  }

  /** Opens an event stream: one try, no retries (the event streams decide themselves what a failure means). */
  async openStream(path: string, headers: Record<string, string>, signal?: AbortSignal): Promise<OpenedStream> {
    const url = this.url(path);
    return this.nodeStreams ? nodeStream(url, headers, signal) : fetchStream(this.fetcher, url, headers, signal);
  }

  /** A JSON request: the parsed body of a 2xx (undefined for 204), a PaliadinError otherwise. */
  async json<T>(method: string, path: string, o: { query?: Query; body?: unknown; signal?: AbortSignal } = {}): Promise<T> {
    const idempotent = method === 'GET';
    const url = this.url(path, o.query);
    for (let attempt = 0; ; attempt++) {
      const last = attempt + 1 >= this.retry.attempts;
      let res: Response;
      try {
        res = await this.fetcher(url, {
          method,
          headers: await this.headers(
            o.body === undefined ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' },
          ),
          body: o.body === undefined ? undefined : JSON.stringify(o.body),
          signal: o.signal,
        });
      } catch (e) {
        if (o.signal?.aborted) throw e;
        if (!idempotent || last)
          throw new PaliadinError(0, 'NETWORK', `${method} ${path}: no answer (${(e as Error).message})`, undefined, undefined, { cause: e });
        await sleep(retryDelay(this.retry, attempt), o.signal);
        continue;
      }
      if (res.ok) return (res.status === 204 ? undefined : await res.json()) as T;
      if (!last && (res.status === 503 || (idempotent && TRANSIENT.has(res.status)))) {
        await res.body?.cancel().catch(() => undefined);
        await sleep(retryDelay(this.retry, attempt, retryAfterMs(res)), o.signal);
        if (o.signal?.aborted) throw o.signal.reason;
        continue;
      }
      throw await PaliadinError.fromResponse(res);
    }
  }
}
