import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An accepted turn always runs (docs/event-log.md, "When an instance
 * dies"): a turn records the moment its instance hands it to the agent or
 * upstream (`handed_over_at`), so that one whose instance died before that
 * is run by another instance instead of ended; what such a run needs beyond
 * the row is kept with it (the turn's own client tools).
 */
export class TurnHandover1764600000000 implements MigrationInterface {
  name = 'TurnHandover1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE paliadin_turns ADD COLUMN handed_over_at timestamptz, ADD COLUMN client_tools jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE paliadin_turns DROP COLUMN handed_over_at, DROP COLUMN client_tools`);
  }
}
