import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A turn waiting for its agent session heard that the turn before it ended
 * on another instance only at its next poll (PALIADIN_QUEUE_POLL_MS). The
 * end of a turn now NOTIFYs paliadin_queue with its agent session when a
 * turn of that session waits under another runner (docs/event-log.md): a
 * trigger, because several statements finish turns (the run, the janitor,
 * a cancel). A turn with nobody waiting elsewhere, nearly every one, sends
 * nothing: a NOTIFY costs its commit a global lock.
 */
export class QueueWakeAcrossInstances1765300000000 implements MigrationInterface {
  name = 'QueueWakeAcrossInstances1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION paliadin_turns_queue_wake() RETURNS trigger
      LANGUAGE plpgsql AS $fn$
      BEGIN
        IF EXISTS (
          SELECT 1 FROM paliadin_turns o
          WHERE o.agent_session = NEW.agent_session AND o.finished_at IS NULL AND o.claimed_at IS NULL
            AND o.runner_id IS DISTINCT FROM NEW.runner_id) THEN
          PERFORM pg_notify('paliadin_queue', NEW.agent_session); -- QUEUE_CHANNEL in src/paliadin/agent-session-queue.ts
        END IF;
        RETURN NULL;
      END
      $fn$`);
    await q.query(`
      CREATE TRIGGER paliadin_turns_queue_wake AFTER UPDATE OF finished_at ON paliadin_turns
      FOR EACH ROW WHEN (OLD.finished_at IS NULL AND NEW.finished_at IS NOT NULL AND NEW.agent_session IS NOT NULL)
      EXECUTE FUNCTION paliadin_turns_queue_wake()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER paliadin_turns_queue_wake ON paliadin_turns`);
    await q.query(`DROP FUNCTION paliadin_turns_queue_wake()`);
  }
}
