import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The end of a turn announced its agent session, and every waiting turn of
 * that session tried its claim: a user with fifty turns queued cost fifty
 * claims (each under the session's lock) per end. The end now names the
 * one turn that can go next, the session's earliest waiting turn, on
 * whichever instance it waits, this one included (docs/event-log.md).
 *
 * It looks under the session's lock, the one a claim takes: a claim made
 * while the end is being stored then waits for it and sees the turn
 * finished, and one made before it is seen waiting and named. Without the
 * lock, a turn that tried its claim just before the end's commit, and was
 * not yet visible to the end's look, waited for its next poll.
 */
const NAME_THE_NEXT_TURN = `
  DECLARE next_turn uuid;
  BEGIN
    -- The key of AgentSessionQueue.claim (src/paliadin/agent-session-queue.ts).
    PERFORM pg_advisory_xact_lock(hashtext('paliadin-agent:' || NEW.agent_session));
    SELECT o.turn_id INTO next_turn FROM paliadin_turns o
    WHERE o.agent_session = NEW.agent_session AND o.finished_at IS NULL AND o.claimed_at IS NULL
    ORDER BY o.queue_seq LIMIT 1;
    IF next_turn IS NOT NULL THEN
      PERFORM pg_notify('paliadin_queue', next_turn::text); -- QUEUE_CHANNEL in src/paliadin/agent-session-queue.ts
    END IF;
    RETURN NULL;
  END`;

/** What 1765300000000-QueueWakeAcrossInstances made. */
const NAME_THE_SESSION = `
  BEGIN
    IF EXISTS (
      SELECT 1 FROM paliadin_turns o
      WHERE o.agent_session = NEW.agent_session AND o.finished_at IS NULL AND o.claimed_at IS NULL
        AND o.runner_id IS DISTINCT FROM NEW.runner_id) THEN
      PERFORM pg_notify('paliadin_queue', NEW.agent_session);
    END IF;
    RETURN NULL;
  END`;

const replaceWith = (body: string) => `CREATE OR REPLACE FUNCTION paliadin_turns_queue_wake() RETURNS trigger LANGUAGE plpgsql AS $fn$${body}$fn$`;

export class QueueWakeNextTurn1765400000000 implements MigrationInterface {
  name = 'QueueWakeNextTurn1765400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(replaceWith(NAME_THE_NEXT_TURN));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(replaceWith(NAME_THE_SESSION));
  }
}
