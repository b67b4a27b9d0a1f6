import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A session's record names its running turn (SessionStore's `running_turn_id`,
 * read by every session lookup: each session turn's POST, its stream, the
 * listing) and ending a session cancels its unfinished turns. Both looked the
 * turns up through a partial index of every unfinished turn, read whole with
 * the session as a filter: 3 ms per lookup among 2,000 live turns. This index
 * holds a session's unfinished turns in queue order. Like the per-user one
 * (1765600000000-UnfinishedTurnsByUserOnly) it says `session_ref IS NOT NULL`,
 * so only a statement naming a session can use it. docs/database.md,
 * "Statements under a crowd".
 */
export class UnfinishedTurnsBySession1765700000000 implements MigrationInterface {
  name = 'UnfinishedTurnsBySession1765700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX paliadin_turns_session_unfinished_idx ON paliadin_turns (session_ref, queue_seq) WHERE finished_at IS NULL AND session_ref IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX paliadin_turns_session_unfinished_idx`);
  }
}
