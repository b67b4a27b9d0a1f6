import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Webhook } from 'standardwebhooks';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { PgListener } from '../database/pg-listener.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { WebhookSecrets } from './webhook-secret-store.js';
import { sendWebhook, type SendOutcome } from './webhook-sender.js';

/** NOTIFYed by paliadin_outbox_emit with each new message (docs/webhooks.md). */
export const WEBHOOK_DUE_CHANNEL = 'paliadin_webhook_due';
// Attempts in flight at once on one instance: a slow receiver holds one place, not the queue.
const MAX_IN_FLIGHT = 32;

interface Due {
  id: string;
  attempts: number;
  message_id: string;
  type: string;
  data: unknown;
  created_at: Date;
  url: string;
  secret_sealed: string;
  enabled: boolean;
  webhook_id: string;
}

/**
 * Delivers the outbox (docs/webhooks.md): due deliveries are claimed with
 * `FOR UPDATE SKIP LOCKED` and a lease, so two instances never make the same
 * attempt; each attempt is signed (Standard Webhooks, the message's id the
 * same on every attempt), recorded, and either done, retried on the
 * schedule (or the receiver's `Retry-After`), or given up. A new message
 * wakes every instance at once; a poll catches retries that came due.
 */
@Injectable()
export class WebhookDelivery implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(WebhookDelivery.name);
  private inFlight = 0;
  private claiming = false;
  private again = false;
  private stopped = false;
  private poll?: NodeJS.Timeout;
  private readonly running = new Set<Promise<void>>();

  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    @InjectDataSource() private readonly db: DataSource,
    private readonly listener: PgListener,
    private readonly secrets: WebhookSecrets,
    private readonly metrics: MetricsService,
  ) {}

  async onModuleInit(): Promise<void> {
    this.metrics.provide('oldestUndelivered', async () => {
      const [row]: { age: number | null }[] = await this.db.query(
        `SELECT extract(epoch FROM now() - min(created_at))::float8 AS age FROM paliadin_webhook_deliveries WHERE status = 'pending'`,
      );
      return row.age ?? 0;
    });
    await this.listener.listen(WEBHOOK_DUE_CHANNEL, () => this.kick());
    this.poll = setInterval(() => this.kick(), this.config.env.PALIADIN_WEBHOOK_POLL_MS);
    this.kick();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.poll);
    // Attempts under way finish (each is bounded by PALIADIN_WEBHOOK_TIMEOUT_MS) and are recorded.
    await Promise.allSettled([...this.running]);
  }

  /** Claims and starts whatever is due, as long as there is room. */
  kick(): void {
    if (this.stopped) return;
    if (this.claiming) {
      this.again = true;
      return;
    }
    this.claiming = true;
    void this.claimWhileRoom().finally(() => {
      this.claiming = false;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  private async claimWhileRoom(): Promise<void> {
    try {
      while (!this.stopped && this.inFlight < MAX_IN_FLIGHT) {
        const due = await this.claim(MAX_IN_FLIGHT - this.inFlight);
        for (const d of due) this.start(d);
        if (due.length === 0) return;
      }
    } catch (e) {
      this.logger.warn(`could not claim webhook deliveries: ${(e as Error).message}`);
    }
  }

  private start(d: Due): void {
    this.inFlight++;
    const p = this.attempt(d)
      .catch((e: unknown) => this.logger.error({ err: e, delivery: d.id }, 'webhook attempt failed to record'))
      .finally(() => {
        this.inFlight--;
        this.running.delete(p);
        this.kick();
      });
    this.running.add(p);
  }

  private async claim(limit: number): Promise<Due[]> {
    // The lease outlasts any attempt: an instance that dies mid-attempt leaves it to another after that.
    const leaseMs = 2 * this.config.env.PALIADIN_WEBHOOK_TIMEOUT_MS + 5_000;
    return this.db.query(
      `WITH due AS (
         SELECT id FROM paliadin_webhook_deliveries
         WHERE status = 'pending' AND next_attempt_at <= now() AND (leased_until IS NULL OR leased_until < now())
         ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED
       ),
       leased AS (
         UPDATE paliadin_webhook_deliveries d SET leased_until = now() + make_interval(secs => $2::double precision / 1000)
         FROM due WHERE d.id = due.id RETURNING d.id, d.attempts, d.message_id, d.webhook_id
       )
       SELECT l.id, l.attempts, l.message_id, l.webhook_id, m.type, m.data, m.created_at, w.url, w.secret_sealed, w.enabled
       FROM leased l JOIN paliadin_webhook_messages m USING (message_id) JOIN paliadin_webhooks w ON w.id = l.webhook_id`,
      [limit, leaseMs],
    );
  }

  private async attempt(d: Due): Promise<void> {
    const attempt = d.attempts + 1;
    if (!d.enabled) return this.record(d, attempt, 'failed', { error: 'the endpoint is disabled' });
    const body = JSON.stringify({ type: d.type, timestamp: d.created_at.toISOString(), data: d.data });
    let secret: string;
    try {
      secret = this.secrets.open(d.secret_sealed);
    } catch {
      // Sealed under another key (PALIADIN_WEBHOOK_KEY or the JWT secret changed): no retry can sign it.
      return this.record(d, attempt, 'failed', { error: "the endpoint's secret cannot be opened with this instance's key; register it again" });
    }
    const now = new Date();
    const signature = new Webhook(secret).sign(d.message_id, now, body);
    const headers = { 'webhook-id': d.message_id, 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': signature };
    const out = await sendWebhook(new URL(d.url), body, headers, {
      timeoutMs: this.config.env.PALIADIN_WEBHOOK_TIMEOUT_MS,
      allowPrivate: this.config.env.PALIADIN_WEBHOOK_ALLOW_PRIVATE,
    });
    const status = out.status ?? 0;
    if (!out.error && status >= 200 && status < 300) return this.record(d, attempt, 'delivered', out);
    if (status === 410) return this.record(d, attempt, 'disabled', { ...out, error: 'the endpoint answered 410 Gone: disabled' });
    const schedule = this.config.env.PALIADIN_WEBHOOK_RETRY_SCHEDULE;
    if (attempt > schedule.length) return this.record(d, attempt, 'failed', { ...out, error: out.error ?? `answered ${status}; given up` });
    const waitMs = Math.max(schedule[attempt - 1], Math.min(out.retryAfterMs ?? 0, 24 * 3600_000));
    return this.record(d, attempt, 'retry', { ...out, error: out.error ?? `answered ${status}` }, waitMs);
  }

  /** The attempt and the delivery's new state, in one statement; 410 disables the endpoint too. */
  private async record(d: Due, attempt: number, outcome: 'delivered' | 'retry' | 'failed' | 'disabled', out: SendOutcome, waitMs = 0): Promise<void> {
    const status = outcome === 'delivered' ? 'delivered' : outcome === 'retry' ? 'pending' : 'failed';
    await this.db.query(
      `WITH a AS (
         INSERT INTO paliadin_webhook_attempts (delivery_id, attempt, status, response_code, error) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (delivery_id, attempt) DO NOTHING
       ),
       w AS (
         UPDATE paliadin_webhooks SET enabled = false, disabled_reason = $5 WHERE id = $7 AND $8::boolean
       )
       UPDATE paliadin_webhook_deliveries SET attempts = $2, status = $6, leased_until = NULL,
         next_attempt_at = now() + make_interval(secs => $9::double precision / 1000)
       WHERE id = $1`,
      [d.id, attempt, outcome, out.status ?? null, out.error?.slice(0, 500) ?? null, status, d.webhook_id, outcome === 'disabled', waitMs],
    );
    this.metrics.webhookDeliveries.inc({ outcome });
    if (outcome !== 'delivered') this.logger.warn(`webhook ${d.webhook_id} message ${d.message_id} attempt ${attempt}: ${out.error ?? out.status}`);
  }
}
