import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The per-user index of unfinished turns served statements it was not made
 * for. At rest a table has few unfinished turns, and that is what the
 * planner's statistics say; a plan made then (and a connection keeps its
 * plans) sees every partial index of unfinished turns as nearly empty, and
 * takes the smallest: for the admission's "is anything of this agent session
 * unfinished?" that was this one, read whole with the agent session as a
 * filter. Under a crowd of 2,000 live turns every admission read all of
 * them (2-3 ms of Postgres each, growing with the crowd). The index now also
 * says `user_id IS NOT NULL`, which only a statement naming a user implies,
 * so a lookup by agent session can use only the index made for it
 * (paliadin_turns_agent_queue_idx). docs/database.md, "Statements under a
 * crowd".
 */
export class UnfinishedTurnsByUserOnly1765600000000 implements MigrationInterface {
  name = 'UnfinishedTurnsByUserOnly1765600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX paliadin_turns_user_unfinished_idx`);
    await q.query(`CREATE INDEX paliadin_turns_user_unfinished_idx ON paliadin_turns (user_id) WHERE finished_at IS NULL AND user_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX paliadin_turns_user_unfinished_idx`);
    await q.query(`CREATE INDEX paliadin_turns_user_unfinished_idx ON paliadin_turns (user_id) WHERE finished_at IS NULL`);
  }
}
