const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3600_000 };
const GO_DURATION = /^(\d+(?:\.\d+)?(?:ms|s|m|h))+$/;

/** A Go-style duration (`500ms`, `90m`, `1h30m`) or whole days (`7d`) in milliseconds; undefined when it is neither. */
export function durationMs(value: string): number | undefined {
  const days = /^(\d+)d$/.exec(value);
  if (days) return Number(days[1]) * 24 * 3600_000;
  if (!GO_DURATION.test(value)) return undefined;
  return [...value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)].reduce((sum, [, n, unit]) => sum + Number(n) * UNIT_MS[unit], 0);
}
