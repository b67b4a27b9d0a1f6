import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Turn events' data is stored without compression (docs/event-log.md,
 * Storage): compressing every flush's batch row, and decompressing it for
 * every read, cost the database more CPU than the rest of storing it, while
 * what it saves on disk is small once a turn's rows are folded together.
 * Rows already written keep their form; new ones are stored plainly.
 */
export class EventDataUncompressed1764400000000 implements MigrationInterface {
  name = 'EventDataUncompressed1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE paliadin_turn_events ALTER COLUMN data SET STORAGE EXTERNAL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE paliadin_turn_events ALTER COLUMN data SET STORAGE EXTENDED`);
  }
}
