import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every admission counts its user's unfinished turns (the in-flight cap,
 * docs/event-log.md "Admission"). Through the (user_id, session_id,
 * started_at) index that count visited every turn the user ever had: a user
 * with a long history paid for it on every POST. This index holds only the
 * unfinished ones.
 */
export class UnfinishedTurnsByUser1764900000000 implements MigrationInterface {
  name = 'UnfinishedTurnsByUser1764900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX paliadin_turns_user_unfinished_idx ON paliadin_turns (user_id) WHERE finished_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX paliadin_turns_user_unfinished_idx`);
  }
}
