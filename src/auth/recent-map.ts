/**
 * A bounded map whose entries hold until a time of their own: what the auth
 * path remembers between requests (verified tokens, users recorded lately)
 * so that a busy client does not pay for the same work on every request.
 * Beyond `max` entries the oldest goes.
 */
export class RecentMap<V> {
  private readonly entries = new Map<string, { value: V; untilMs: number }>();

  constructor(private readonly max: number) {}

  /** The value, while its time holds. */
  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (Date.now() < entry.untilMs) return entry.value;
    this.entries.delete(key);
    return undefined;
  }

  set(key: string, value: V, untilMs: number): void {
    this.entries.delete(key);
    this.entries.set(key, { value, untilMs });
    const oldest = this.entries.keys().next();
    if (this.entries.size > this.max && !oldest.done) this.entries.delete(oldest.value);
  }
}
