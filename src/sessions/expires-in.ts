const MAX_MS = 30 * 24 * 3600_000;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3600_000 };
const GO_DURATION = /^(\d+(?:\.\d+)?(?:ms|s|m|h))+$/;

/**
 * `expires_in` as milliseconds: Go-style durations (`90m`, `1h30m`, `24h`) or
 * days (`7d`); more than 30 days or anything else is an error naming the
 * field (a message for a 400).
 */
export function parseExpiresIn(value: string): number | string {
  let ms: number;
  const days = /^(\d+)d$/.exec(value);
  if (days) ms = Number(days[1]) * 24 * 3600_000;
  else if (GO_DURATION.test(value)) ms = [...value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)].reduce((sum, [, n, unit]) => sum + Number(n) * UNIT_MS[unit], 0);
  else return 'expires_in must be a duration like 90m, 24h or 7d';
  if (!(ms > 0)) return 'expires_in must be more than 0';
  if (ms > MAX_MS) return 'expires_in cannot exceed 30 days';
  return ms;
}
