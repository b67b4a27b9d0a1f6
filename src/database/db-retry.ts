import { setTimeout as sleep } from 'node:timers/promises';
import { isPermanentDbError } from './db-errors.js';

/**
 * `fn`, tried again with a doubling backoff (20 ms up to 1 s) while the
 * database fails for a passing reason (no pool slot in time, connection
 * lost), for up to `retryMs` (PALIADIN_DB_RETRY_MS). A permanent error, or
 * the last passing one, is thrown. `onRetry` hears each failure that is
 * tried again.
 */
export async function withDbRetry<T>(retryMs: number, fn: () => Promise<T>, onRetry?: (e: unknown, backoffMs: number) => void): Promise<T> {
  const started = Date.now();
  for (let backoff = 20; ; backoff = Math.min(backoff * 2, 1_000)) {
    try {
      return await fn();
    } catch (e) {
      if (isPermanentDbError(e) || Date.now() - started >= retryMs) throw e;
      onRetry?.(e, backoff);
      await sleep(backoff);
    }
  }
}
