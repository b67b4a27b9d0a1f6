import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every live turn's row is written again at each heartbeat
 * (PALIADIN_RUNNER_HEARTBEAT_MS). Since `heartbeat_at` was a key of an index
 * and the table's pages were filled to the brim, each beat wrote a new copy of
 * the row elsewhere and a new entry in every one of the table's nine indexes:
 * 2,000 live turns cost Postgres about 150 ms per beat on this project's
 * machine, a stall for every instance's event writes. Without that index,
 * and with a fifth of each new page left free, a beat is a heap-only update
 * (the new copy on the same page, no index touched): about 60 ms. The
 * janitor and the adoption, which look for stale heartbeats among the
 * unfinished turns, read them through the other partial indexes of
 * unfinished turns (a few thousand rows at most). docs/database.md,
 * "Heartbeats in place".
 */
export class HeartbeatInPlace1765500000000 implements MigrationInterface {
  name = 'HeartbeatInPlace1765500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX paliadin_turns_unfinished_idx`);
    // Pages made from now on; the rows already stored are finished and never beat again.
    await q.query(`ALTER TABLE paliadin_turns SET (fillfactor = 80)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE paliadin_turns RESET (fillfactor)`);
    await q.query(`CREATE INDEX paliadin_turns_unfinished_idx ON paliadin_turns (heartbeat_at) WHERE finished_at IS NULL`);
  }
}
