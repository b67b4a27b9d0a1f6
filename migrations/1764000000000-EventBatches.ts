import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Event rows may hold a run of events (docs/event-log.md, "Storage"): a row with
 * `last_seq` set carries the events seq..last_seq as one JSON array, so a
 * streamed answer does not cost a row per token. Turns whose events were
 * compacted by the retention setting are marked on the turn row.
 */
export class EventBatches1764000000000 implements MigrationInterface {
  name = 'EventBatches1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE paliadin_turn_events ADD COLUMN last_seq integer`);
    await q.query(
      `ALTER TABLE paliadin_turn_events ADD CONSTRAINT paliadin_turn_events_last_seq_check CHECK ((kind = 'batch') = (last_seq IS NOT NULL) AND (last_seq IS NULL OR last_seq >= seq))`,
    );
    await q.query(`ALTER TABLE paliadin_turns ADD COLUMN events_compacted_at timestamptz`);
    // The retention pass looks only at finished turns not compacted yet, oldest first.
    await q.query(`CREATE INDEX paliadin_turns_uncompacted_idx ON paliadin_turns (finished_at) WHERE events_compacted_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX paliadin_turns_uncompacted_idx`);
    await q.query(`ALTER TABLE paliadin_turns DROP COLUMN events_compacted_at`);
    // Batch rows cannot be expressed without last_seq: they are split back into one row per event first.
    await q.query(`
      WITH batches AS (DELETE FROM paliadin_turn_events WHERE kind = 'batch' RETURNING turn_id, seq, data, created_at)
      INSERT INTO paliadin_turn_events (turn_id, seq, kind, data, created_at)
      SELECT b.turn_id, b.seq + e.ord - 1,
             CASE WHEN jsonb_typeof(e.el) = 'string' THEN 'content' ELSE e.el->>'k' END,
             CASE WHEN jsonb_typeof(e.el) = 'string' THEN jsonb_build_object('delta', e.el, 'streamed', true) ELSE e.el->'d' END,
             b.created_at
      FROM batches b, jsonb_array_elements(b.data) WITH ORDINALITY AS e(el, ord)`);
    await q.query(`ALTER TABLE paliadin_turn_events DROP COLUMN last_seq`);
  }
}
