/** A duration for people: "60 s", "1.5 s", "0.2 s" (error messages quote configured windows). */
export function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(ms < 10_000 ? 1 : 0))} s`;
}
