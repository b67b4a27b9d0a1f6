import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhooks (docs/webhooks.md). Endpoints, the messages that happened, one
 * delivery per message and endpoint, and every attempt.
 *
 * The outbox is written by the database itself, in the transaction of the
 * change that causes it: triggers on turns (finished, late answer), sessions
 * (ended) and requests (created) call `paliadin_outbox_emit`, which stores
 * the message and its deliveries only when an enabled endpoint wants it
 * (nothing is written while nobody subscribes). The modules that change
 * state neither know nor import anything of webhooks, and no crash between
 * a change and its message can lose the message.
 */
export class Webhooks1765000000000 implements MigrationInterface {
  name = 'Webhooks1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE paliadin_webhooks (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        url text NOT NULL,
        events text[] NOT NULL,
        description text,
        all_users boolean NOT NULL DEFAULT false,
        secret_sealed text NOT NULL,
        enabled boolean NOT NULL DEFAULT true,
        disabled_reason text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX paliadin_webhooks_user_idx ON paliadin_webhooks (user_id, created_at)`);
    await q.query(`
      CREATE TABLE paliadin_webhook_messages (
        message_id text PRIMARY KEY,
        type text NOT NULL,
        user_id uuid,
        data jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE paliadin_webhook_deliveries (
        id bigserial PRIMARY KEY,
        webhook_id uuid NOT NULL REFERENCES paliadin_webhooks(id) ON DELETE CASCADE,
        message_id text NOT NULL REFERENCES paliadin_webhook_messages(message_id) ON DELETE CASCADE,
        status text NOT NULL DEFAULT 'pending',
        attempts int NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        leased_until timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (webhook_id, message_id)
      )`);
    await q.query(`CREATE INDEX paliadin_webhook_deliveries_due_idx ON paliadin_webhook_deliveries (next_attempt_at) WHERE status = 'pending'`);
    await q.query(`
      CREATE TABLE paliadin_webhook_attempts (
        delivery_id bigint NOT NULL REFERENCES paliadin_webhook_deliveries(id) ON DELETE CASCADE,
        attempt int NOT NULL,
        at timestamptz NOT NULL DEFAULT now(),
        status text NOT NULL,
        response_code int,
        error text,
        PRIMARY KEY (delivery_id, attempt)
      )`);

    // The one way in: a message and a delivery per enabled endpoint that wants it, then a wake-up.
    await q.query(`
      CREATE FUNCTION paliadin_outbox_emit(kind text, owner uuid, payload jsonb) RETURNS void
      LANGUAGE plpgsql AS $fn$
      DECLARE
        msg text;
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM paliadin_webhooks w WHERE w.enabled AND kind = ANY (w.events) AND (w.all_users OR w.user_id = owner)) THEN
          RETURN;
        END IF;
        msg := 'msg_' || replace(gen_random_uuid()::text, '-', '');
        INSERT INTO paliadin_webhook_messages (message_id, type, user_id, data) VALUES (msg, kind, owner, payload);
        INSERT INTO paliadin_webhook_deliveries (webhook_id, message_id)
        SELECT w.id, msg FROM paliadin_webhooks w WHERE w.enabled AND kind = ANY (w.events) AND (w.all_users OR w.user_id = owner);
        PERFORM pg_notify('paliadin_webhook_due', msg);
      END
      $fn$`);

    await q.query(`
      CREATE FUNCTION paliadin_turns_outbox() RETURNS trigger
      LANGUAGE plpgsql AS $fn$
      BEGIN
        IF OLD.finished_at IS NULL AND NEW.finished_at IS NOT NULL THEN
          PERFORM paliadin_outbox_emit(
            CASE WHEN NEW.error_code IS NULL THEN 'turn.completed' ELSE 'turn.failed' END,
            NEW.user_id,
            jsonb_strip_nulls(jsonb_build_object(
              'turn_id', NEW.turn_id, 'session_id', NEW.session_id, 'user_id', NEW.user_id, 'agent_session_id', NEW.session_ref,
              'code', NEW.error_code, 'response', NEW.response, 'duration_ms', NEW.duration_ms)));
        ELSIF OLD.finished_at IS NOT NULL AND OLD.response IS NULL AND NEW.response IS NOT NULL THEN
          PERFORM paliadin_outbox_emit('turn.late_answer', NEW.user_id,
            jsonb_strip_nulls(jsonb_build_object(
              'turn_id', NEW.turn_id, 'session_id', NEW.session_id, 'user_id', NEW.user_id, 'agent_session_id', NEW.session_ref,
              'response', NEW.response, 'was_error', OLD.error_code)));
        END IF;
        RETURN NULL;
      END
      $fn$`);
    await q.query(`
      CREATE TRIGGER paliadin_turns_outbox AFTER UPDATE OF finished_at, response ON paliadin_turns
      FOR EACH ROW EXECUTE FUNCTION paliadin_turns_outbox()`);

    await q.query(`
      CREATE FUNCTION paliadin_sessions_outbox() RETURNS trigger
      LANGUAGE plpgsql AS $fn$
      BEGIN
        PERFORM paliadin_outbox_emit('session.ended', NEW.user_id,
          jsonb_build_object('session_id', NEW.id, 'name', NEW.name, 'user_id', NEW.user_id, 'status', NEW.status,
            'reason', CASE NEW.status WHEN 'ended' THEN 'checkin' WHEN 'expired' THEN 'expired' ELSE 'terminated' END, 'turns', NEW.turns));
        RETURN NULL;
      END
      $fn$`);
    await q.query(`
      CREATE TRIGGER paliadin_sessions_outbox AFTER UPDATE OF status ON paliadin_sessions
      FOR EACH ROW WHEN (OLD.status = 'active' AND NEW.status <> 'active') EXECUTE FUNCTION paliadin_sessions_outbox()`);

    await q.query(`
      CREATE FUNCTION paliadin_requests_outbox() RETURNS trigger
      LANGUAGE plpgsql AS $fn$
      BEGIN
        PERFORM paliadin_outbox_emit('request.created', NEW.user_id,
          jsonb_strip_nulls(jsonb_build_object('request_id', NEW.request_id, 'turn_id', NEW.turn_id, 'agent_session_id', NEW.session_ref,
            'user_id', NEW.user_id, 'kind', NEW.kind, 'request', NEW.data, 'expires_at', NEW.expires_at)));
        RETURN NULL;
      END
      $fn$`);
    await q.query(`
      CREATE TRIGGER paliadin_requests_outbox AFTER INSERT ON paliadin_requests
      FOR EACH ROW EXECUTE FUNCTION paliadin_requests_outbox()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER paliadin_requests_outbox ON paliadin_requests`);
    await q.query(`DROP TRIGGER paliadin_sessions_outbox ON paliadin_sessions`);
    await q.query(`DROP TRIGGER paliadin_turns_outbox ON paliadin_turns`);
    await q.query(`DROP FUNCTION paliadin_requests_outbox(), paliadin_sessions_outbox(), paliadin_turns_outbox(), paliadin_outbox_emit(text, uuid, jsonb)`);
    await q.query(`DROP TABLE paliadin_webhook_attempts, paliadin_webhook_deliveries, paliadin_webhook_messages, paliadin_webhooks`);
  }
}
