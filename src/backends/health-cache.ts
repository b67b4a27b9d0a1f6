const SUCCESS_TTL_MS = 10_000;

/**
 * The health gate's memory, per key (a user session, or one key for a whole
 * service): a successful probe is trusted for 10 s, a failure is never
 * remembered, so an outage does not outlive itself.
 */
export class HealthCache {
  private readonly until = new Map<string, number>();

  /** Runs the probe unless a success for `key` is still fresh. */
  async gate(key: string, probe: () => Promise<void>): Promise<void> {
    if ((this.until.get(key) ?? 0) > Date.now()) return;
    await this.refresh(key, probe);
  }

  /** Runs the probe now; only a success is remembered. */
  async refresh(key: string, probe: () => Promise<void>): Promise<void> {
    this.until.delete(key);
    await probe();
    this.until.set(key, Date.now() + SUCCESS_TTL_MS);
  }

  forget(key: string): void {
    this.until.delete(key);
  }
}
