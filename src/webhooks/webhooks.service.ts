import { BadRequestException, ForbiddenException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { mayAdminister, type Principal } from '../auth/principal.js';
import { hasScope, type Scope } from '../auth/scopes.js';
import { AppConfig } from '../config/app-config.js';
import { WEBHOOK_DUE_CHANNEL } from './webhook-delivery.js';
import { WebhookSecrets } from './webhook-secret-store.js';
import { newWebhookSecret } from './webhook-secrets.js';
import { parseTargetUrl, resolveTarget } from './webhook-targets.js';
import type { CreateWebhookDto, CreatedWebhookDto, DeliveryAttemptDto, FailingWebhookDto, WebhookDto, WebhookEvent } from './dto/webhook.dto.js';
import { returnedRows } from '../database/returned-rows.js';

// The scope an API key needs to subscribe to an event: the one that lets it read what the event tells.
const EVENT_SCOPES: Record<WebhookEvent, readonly Scope[]> = {
  'turn.completed': ['paliadin:read'],
  'turn.failed': ['paliadin:read'],
  'turn.late_answer': ['paliadin:read'],
  'request.created': ['paliadin:read', 'sessions:read'],
  'session.ended': ['sessions:read'],
};

interface WebhookRow {
  id: string;
  url: string;
  events: string[];
  description: string | null;
  all_users: boolean;
  enabled: boolean;
  disabled_reason: string | null;
  created_at: Date;
  failing: number;
}

const COLUMNS = `w.id, w.url, w.events, w.description, w.all_users, w.enabled, w.disabled_reason, w.created_at,
  (SELECT count(*)::int FROM paliadin_webhook_deliveries d WHERE d.webhook_id = w.id AND d.attempts > 0 AND d.status <> 'delivered') AS failing`;

const view = (r: WebhookRow): WebhookDto => ({
  id: r.id,
  url: r.url,
  events: r.events,
  description: r.description,
  all_users: r.all_users,
  enabled: r.enabled,
  disabled_reason: r.disabled_reason,
  failing: r.failing,
  created_at: r.created_at.toISOString(),
});

/** A caller's webhooks (docs/webhooks.md): registered, listed, tested, removed; their deliveries. */
@Injectable()
export class WebhooksService {
  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    @InjectDataSource() private readonly db: DataSource,
    private readonly secrets: WebhookSecrets,
  ) {}

  async create(p: Principal, dto: CreateWebhookDto): Promise<CreatedWebhookDto> {
    const url = parseTargetUrl(dto.url);
    if (typeof url === 'string') throw new BadRequestException(url);
    const resolved = await resolveTarget(url.hostname, this.config.env.PALIADIN_WEBHOOK_ALLOW_PRIVATE);
    if (typeof resolved === 'string') throw new BadRequestException(resolved);
    if (dto.all_users && !mayAdminister(p, (e) => this.config.isOwnerEmail(e))) {
      throw new ForbiddenException("all_users needs an owner's token or an API key with the paliadin:admin scope");
    }
    if (p.scopes !== 'user') {
      const granted = p.scopes;
      const missing = [...new Set(dto.events)].find((ev) => !EVENT_SCOPES[ev].some((s) => hasScope(granted, s)));
      if (missing) throw new ForbiddenException(`This API key lacks the ${EVENT_SCOPES[missing].join(' or ')} scope that ${missing} needs`);
    }
    const secret = newWebhookSecret();
    const [row]: WebhookRow[] = await this.db.query(
      `INSERT INTO paliadin_webhooks (user_id, url, events, description, all_users, secret_sealed)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, url, events, description, all_users, enabled, disabled_reason, created_at, 0 AS failing`,
      [p.userId, url.toString(), [...new Set(dto.events)], dto.description ?? null, dto.all_users ?? false, this.secrets.seal(secret)],
    );
    return { ...view(row), secret };
  }

  async list(p: Principal): Promise<WebhookDto[]> {
    const rows: WebhookRow[] = await this.db.query(`SELECT ${COLUMNS} FROM paliadin_webhooks w WHERE w.user_id = $1 ORDER BY w.created_at`, [p.userId]);
    return rows.map(view);
  }

  async get(p: Principal, id: string): Promise<WebhookDto> {
    return view(await this.find(p, id));
  }

  async remove(p: Principal, id: string): Promise<void> {
    const rows = returnedRows(await this.db.query(`DELETE FROM paliadin_webhooks WHERE id = $1 AND user_id = $2 RETURNING id`, [id, p.userId]));
    if (rows.length === 0) throw notFound(id);
  }

  /** A `webhook.test` message for this endpoint alone, delivered like any other. */
  async test(p: Principal, id: string): Promise<{ message_id: string }> {
    const w = await this.find(p, id);
    const [row]: { message_id: string }[] = await this.db.query(
      `WITH m AS (
         INSERT INTO paliadin_webhook_messages (message_id, type, user_id, data)
         VALUES ('msg_' || replace(gen_random_uuid()::text, '-', ''), 'webhook.test', $2, jsonb_build_object('webhook_id', $3::text))
         RETURNING message_id
       ),
       d AS (INSERT INTO paliadin_webhook_deliveries (webhook_id, message_id) SELECT $1::uuid, message_id FROM m)
       SELECT message_id, pg_notify('${WEBHOOK_DUE_CHANNEL}', message_id) FROM m`,
      [w.id, p.userId, w.id],
    );
    return { message_id: row.message_id };
  }

  /** The latest attempts, newest first; a delivery not tried yet shows as attempt 0. */
  async deliveries(p: Principal, id: string, limit: number): Promise<DeliveryAttemptDto[]> {
    const w = await this.find(p, id);
    const rows: {
      message_id: string;
      event: string;
      attempt: number;
      status: string;
      response_code: number | null;
      error: string | null;
      at: Date;
      next_attempt_at: Date | null;
    }[] = await this.db.query(
      `SELECT * FROM (
         SELECT d.message_id, m.type AS event, a.attempt, a.status, a.response_code, a.error, a.at,
                CASE WHEN d.status = 'pending' AND a.attempt = d.attempts THEN d.next_attempt_at END AS next_attempt_at
         FROM paliadin_webhook_deliveries d
         JOIN paliadin_webhook_messages m USING (message_id)
         JOIN paliadin_webhook_attempts a ON a.delivery_id = d.id
         WHERE d.webhook_id = $1
         UNION ALL
         SELECT d.message_id, m.type, 0, 'pending', NULL, NULL, d.created_at, d.next_attempt_at
         FROM paliadin_webhook_deliveries d JOIN paliadin_webhook_messages m USING (message_id)
         WHERE d.webhook_id = $1 AND d.attempts = 0 AND d.status = 'pending'
       ) x ORDER BY at DESC, attempt DESC LIMIT $2`,
      [w.id, limit],
    );
    return rows.map((r) => ({
      message_id: r.message_id,
      event: r.event,
      attempt: r.attempt,
      status: r.status,
      ...(r.response_code !== null ? { response_code: r.response_code } : {}),
      ...(r.error !== null ? { error: r.error } : {}),
      at: r.at.toISOString(),
      ...(r.next_attempt_at ? { next_attempt_at: r.next_attempt_at.toISOString() } : {}),
    }));
  }

  /** Every user's webhooks that fail or were disabled, worst first (the dashboard). */
  async failing(): Promise<FailingWebhookDto[]> {
    const rows: (Omit<FailingWebhookDto, 'last_failed_at'> & { last_failed_at: Date | null })[] = await this.db.query(
      `SELECT w.id, w.url, w.user_id, u.email AS user_email, w.enabled, w.disabled_reason, f.failing,
              l.error AS last_error, l.at AS last_failed_at
       FROM paliadin_webhooks w
       JOIN users u ON u.id = w.user_id
       CROSS JOIN LATERAL (
         SELECT count(*)::int AS failing FROM paliadin_webhook_deliveries d WHERE d.webhook_id = w.id AND d.attempts > 0 AND d.status <> 'delivered'
       ) f
       LEFT JOIN LATERAL (
         SELECT coalesce(a.error, 'answered ' || a.response_code) AS error, a.at
         FROM paliadin_webhook_deliveries d JOIN paliadin_webhook_attempts a ON a.delivery_id = d.id
         WHERE d.webhook_id = w.id AND a.status <> 'delivered' ORDER BY a.at DESC LIMIT 1
       ) l ON true
       WHERE f.failing > 0 OR NOT w.enabled
       ORDER BY NOT w.enabled DESC, f.failing DESC, w.created_at LIMIT 100`,
    );
    return rows.map((r) => ({ ...r, last_failed_at: r.last_failed_at?.toISOString() ?? null }));
  }

  private async find(p: Principal, id: string): Promise<WebhookRow> {
    const [row]: (WebhookRow | undefined)[] = await this.db.query(`SELECT ${COLUMNS} FROM paliadin_webhooks w WHERE w.id = $1 AND w.user_id = $2`, [
      id,
      p.userId,
    ]);
    if (!row) throw notFound(id);
    return row;
  }
}

const notFound = (id: string) => new NotFoundException(`No webhook ${id}`);
