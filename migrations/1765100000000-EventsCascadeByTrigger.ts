import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The foreign key from paliadin_turn_events to paliadin_turns checked every
 * inserted row with a query of its own (a trigger call per row): half the
 * cost of a crowd's event insert, where one statement stores a row for each
 * of 2,000 live turns. The event insert already takes rows only for turns
 * that exist, are open and are run by its instance, and it now locks those
 * turns against deletion itself (FOR KEY SHARE, as the key check did), once
 * per statement. Deleting turns (with their user, or by hand) still takes
 * their events, by a statement trigger in place of the cascade.
 */
export class EventsCascadeByTrigger1765100000000 implements MigrationInterface {
  name = 'EventsCascadeByTrigger1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE paliadin_turn_events DROP CONSTRAINT paliadin_turn_events_turn_id_fkey`);
    await q.query(`
      CREATE FUNCTION paliadin_turns_delete_events() RETURNS trigger
      LANGUAGE plpgsql AS $fn$
      BEGIN
        DELETE FROM paliadin_turn_events e USING gone WHERE e.turn_id = gone.turn_id;
        RETURN NULL;
      END
      $fn$`);
    await q.query(`
      CREATE TRIGGER paliadin_turns_delete_events AFTER DELETE ON paliadin_turns
      REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION paliadin_turns_delete_events()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER paliadin_turns_delete_events ON paliadin_turns`);
    await q.query(`DROP FUNCTION paliadin_turns_delete_events()`);
    // Rows whose turn is gone (none, unless a delete raced an insert by hand) would refuse the key.
    await q.query(`DELETE FROM paliadin_turn_events e WHERE NOT EXISTS (SELECT 1 FROM paliadin_turns t WHERE t.turn_id = e.turn_id)`);
    await q.query(`
      ALTER TABLE paliadin_turn_events ADD CONSTRAINT paliadin_turn_events_turn_id_fkey
      FOREIGN KEY (turn_id) REFERENCES paliadin_turns(turn_id) ON DELETE CASCADE`);
  }
}
