import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The turns' outbox trigger built its message (the whole response as JSON)
 * before paliadin_outbox_emit looked for an endpoint that wants it: every
 * finish paid for a payload that was then thrown away while nobody
 * subscribes (0.3-0.7 ms of Postgres per finish of a 138 KB answer). It
 * now looks first. Same messages otherwise (docs/webhooks.md).
 */
const BODY = (checkFirst: boolean) => `
  CREATE OR REPLACE FUNCTION paliadin_turns_outbox() RETURNS trigger
  LANGUAGE plpgsql AS $fn$
  BEGIN
    ${checkFirst ? 'IF NOT EXISTS (SELECT 1 FROM paliadin_webhooks w WHERE w.enabled) THEN RETURN NULL; END IF;' : ''}
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
  $fn$`;

export class TurnOutboxCheckFirst1765200000000 implements MigrationInterface {
  name = 'TurnOutboxCheckFirst1765200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(BODY(true));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(BODY(false));
  }
}
