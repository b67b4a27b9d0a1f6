import { durationMs } from '../contract/duration.js';

const MAX_MS = 30 * 24 * 3600_000;

/**
 * `expires_in` as milliseconds: Go-style durations (`90m`, `1h30m`, `24h`) or
 * days (`7d`); more than 30 days or anything else is an error naming the
 * field (a message for a 400).
 */
export function parseExpiresIn(value: string): number | string {
  const ms = durationMs(value);
  if (ms === undefined) return 'expires_in must be a duration like 90m, 24h or 7d';
  if (!(ms > 0)) return 'expires_in must be more than 0';
  if (ms > MAX_MS) return 'expires_in cannot exceed 30 days';
  return ms;
}
