import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The janitor looks for late answers every pass (docs/event-log.md, "The
 * janitor"): the recent turns of one backend that ended without an answer.
 * Without an index that was a scan of every turn ever stored, tens of
 * milliseconds of a database core every ten seconds once the table is large,
 * long enough to hold up the events of live turns behind it.
 */
export class UnansweredTurnsIndex1764800000000 implements MigrationInterface {
  name = 'UnansweredTurnsIndex1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX paliadin_turns_unanswered_idx ON paliadin_turns (backend, finished_at) WHERE response IS NULL AND error_code IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX paliadin_turns_unanswered_idx`);
  }
}
