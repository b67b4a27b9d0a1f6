/** How the client waits before trying again. */
export interface RetryOptions {
  /** The first wait, doubled at each failure in a row (default 250 ms). */
  baseMs?: number;
  /** The longest wait (default 10 s). */
  maxMs?: number;
  /** Failures in a row after which a request gives up (default 6). */
  attempts?: number;
  /** Failures in a row, without a new event, after which a stream gives up (default 60: about ten minutes). */
  streamAttempts?: number;
  /** The longest `Retry-After` honoured (default 60 s); a longer one is waited this long. */
  maxRetryAfterMs?: number;
}

export type Retry = Required<RetryOptions>;

export function retryDefaults(o: RetryOptions = {}): Retry {
  return { baseMs: 250, maxMs: 10_000, attempts: 6, streamAttempts: 60, maxRetryAfterMs: 60_000, ...o };
}

/**
 * The wait before try `attempt` (0 for the first retry): exponential, capped,
 * with full jitter in its upper half so that clients dropped together do not
 * come back together. A `Retry-After` the server gave wins, with a little
 * jitter on top for the same reason.
 */
export function retryDelay(retry: Retry, attempt: number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, retry.maxRetryAfterMs) * (1 + Math.random() * 0.1);
  const ceiling = Math.min(retry.maxMs, retry.baseMs * 2 ** Math.min(attempt, 30));
  return ceiling / 2 + (Math.random() * ceiling) / 2;
}

/** `Retry-After` as seconds or an HTTP date, in milliseconds from now; undefined when absent or unreadable. */
export function retryAfterMs(res: { headers: { get(name: string): string | null } }): number | undefined {
  const value = res.headers.get('retry-after');
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** Resolves after `ms`, or at once when `signal` aborts (the caller checks it). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
