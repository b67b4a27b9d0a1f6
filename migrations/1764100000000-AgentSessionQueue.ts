import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One turn at a time per agent session, across instances, in arrival order
 * (docs/event-log.md, "One turn at a time per agent session"): each turn records its
 * agent session and its place in the queue, and is claimed before it runs.
 */
export class AgentSessionQueue1764100000000 implements MigrationInterface {
  name = 'AgentSessionQueue1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SEQUENCE paliadin_turn_queue_seq`);
    await q.query(`ALTER TABLE paliadin_turns ADD COLUMN agent_session text`);
    await q.query(`ALTER TABLE paliadin_turns ADD COLUMN queue_seq bigint NOT NULL DEFAULT nextval('paliadin_turn_queue_seq')`);
    await q.query(`ALTER TABLE paliadin_turns ADD COLUMN claimed_at timestamptz`);
    await q.query(`CREATE INDEX paliadin_turns_agent_queue_idx ON paliadin_turns (agent_session, queue_seq) WHERE finished_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX paliadin_turns_agent_queue_idx`);
    await q.query(`ALTER TABLE paliadin_turns DROP COLUMN claimed_at`);
    await q.query(`ALTER TABLE paliadin_turns DROP COLUMN queue_seq`);
    await q.query(`ALTER TABLE paliadin_turns DROP COLUMN agent_session`);
    await q.query(`DROP SEQUENCE paliadin_turn_queue_seq`);
  }
}
