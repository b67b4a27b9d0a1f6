import pg from 'pg';

export interface Fault {
  /** The turn's user_message: only turns asked with exactly this text are hit. */
  marker: string;
  /** The SQLSTATE to fail with: e.g. 57014 (query cancelled: passing) or 22000 (data exception: permanent). */
  sqlstate: string;
  /** How many writes fail before they go through again (-1: for ever). */
  times: number;
  /** Only events of these kinds fail (batch rows are kind `batch`). */
  kinds?: string[];
  /** Only rows from this seq on. */
  minSeq?: number;
}

/**
 * Real write failures from the real database: a trigger on
 * paliadin_turn_events raises the given SQLSTATE for the turns a test marks,
 * as a full disk, a cancelled statement or a refused value would. Install it
 * on a database of the test's own (isolatedDatabase): it sees every write.
 */
export async function installWriteFaults(url: string): Promise<{ add: (f: Fault) => Promise<void>; clear: () => Promise<void> }> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query(`
    CREATE TABLE IF NOT EXISTS test_write_faults (
      marker text PRIMARY KEY, sqlstate text NOT NULL, times int NOT NULL, kinds text[] NOT NULL, min_seq int NOT NULL, counter text NOT NULL
    );
    CREATE OR REPLACE FUNCTION test_write_fault() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE f test_write_faults;
    BEGIN
      SELECT x.* INTO f FROM test_write_faults x JOIN paliadin_turns t ON t.user_message = x.marker
      WHERE t.turn_id = NEW.turn_id AND NEW.seq >= x.min_seq AND NEW.kind = ANY(x.kinds);
      -- A sequence counts the hits: unlike a table update it is not rolled back with the failed statement.
      IF FOUND AND (f.times < 0 OR nextval(f.counter::regclass) <= f.times) THEN
        RAISE EXCEPTION 'injected write fault for %', f.marker USING ERRCODE = f.sqlstate;
      END IF;
      RETURN NEW;
    END $$;
    DROP TRIGGER IF EXISTS test_write_fault ON paliadin_turn_events;
    CREATE TRIGGER test_write_fault BEFORE INSERT ON paliadin_turn_events FOR EACH ROW EXECUTE FUNCTION test_write_fault();
  `);
  await c.end();
  let n = 0;
  const run = async (sql: string, params: unknown[] = []) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(sql, params);
    } finally {
      await client.end();
    }
  };
  return {
    add: async (f) => {
      const counter = `test_fault_hits_${++n}`;
      await run(`CREATE SEQUENCE ${counter}`);
      await run(`INSERT INTO test_write_faults VALUES ($1, $2, $3, $4, $5, $6)`, [
        f.marker,
        f.sqlstate,
        f.times,
        f.kinds ?? ['batch', 'content', 'thinking'],
        f.minSeq ?? 2,
        counter,
      ]);
    },
    clear: () => run(`DELETE FROM test_write_faults`),
  };
}
