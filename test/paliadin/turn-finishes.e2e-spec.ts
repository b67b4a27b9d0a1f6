import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { DataSource } from 'typeorm';
import type { EndData, StoredTurnEvent, TurnStreamEvent } from '../../src/contract/stream-events.js';
import { MetricsService } from '../../src/metrics/metrics.service.js';
import { EVENTS_CHANNEL, parseNotifyPayload, TurnEventLog } from '../../src/paliadin/turn-event-log.js';
import type { TurnCompletion } from '../../src/paliadin/turn-finishes.js';
import { isolatedDatabase } from '../support/isolated-database.js';
import { startPipelineApp, type PipelineApp } from '../support/pipeline-app.js';
import { waitUntil } from '../support/wait.js';

/**
 * Runs' ends that arrive together are stored together (docs/event-log.md,
 * "Finishing"), and each exactly as if it came alone: its row completed, its
 * closing events numbered after what it has stored (single rows or batch
 * rows), its new last seq announced to other instances, and nothing stored
 * for a turn that is not the finisher's to take.
 */
describe('turn finishes', () => {
  let own: { url: string; drop: () => Promise<void> };
  let p: PipelineApp;
  let db: DataSource;
  let log: TurnEventLog;
  let listener: pg.Client;
  const notified: string[] = [];

  beforeAll(async () => {
    // A database of its own: the turns put in directly have no run, and no other test's janitor may take them over.
    own = await isolatedDatabase();
    // Postgres looks for a deadlock once, this long after a statement starts waiting: long enough here that the
    // deadlock test's other transaction has closed the cycle by then, however busy the machine.
    const setup = new pg.Client(own.url);
    await setup.connect();
    await setup.query(`DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET deadlock_timeout = %L', current_database(), '3s'); END $$`);
    await setup.end();
    p = await startPipelineApp({ DATABASE_URL: own.url, PALIADIN_JANITOR_INTERVAL_MS: '1000000' });
    db = p.app.get(DataSource);
    log = p.app.get(TurnEventLog);
    // What another instance hears.
    listener = new pg.Client(own.url);
    await listener.connect();
    await listener.query(`LISTEN ${EVENTS_CHANNEL}`);
    listener.on('notification', (n) => notified.push(n.payload ?? ''));
  });
  afterAll(async () => {
    await listener?.end();
    await p?.app.close();
    await own?.drop();
  });

  /** A running turn of this instance (or `runner`'s) with `stored` events: seqs 1..n, the later ones in one batch row. */
  async function turn(stored: number, runner = log.instanceId): Promise<string> {
    const userId = randomUUID();
    const turnId = randomUUID();
    await db.query(`INSERT INTO users (id, email) VALUES ($1, $2)`, [userId, `fin-${userId}@example.com`]);
    await db.query(
      `INSERT INTO paliadin_turns (turn_id, user_id, session_id, backend, user_message, runner_id, heartbeat_at, claimed_at)
       VALUES ($1, $2, 's', 'scripted', 'hallo', $3, now(), now())`,
      [turnId, userId, runner],
    );
    await db.query(`INSERT INTO paliadin_turn_events (turn_id, seq, kind, data) VALUES ($1, 1, 'meta', '{"turn_id": "x"}')`, [turnId]);
    if (stored > 1)
      await db.query(`INSERT INTO paliadin_turn_events (turn_id, seq, last_seq, kind, data) VALUES ($1, 2, $2, 'batch', $3)`, [
        turnId,
        stored,
        JSON.stringify(Array.from({ length: stored - 1 }, (_, i) => `w${i} `)),
      ]);
    return turnId;
  }

  const completion = (response: string, extra: Partial<TurnCompletion> = {}): TurnCompletion => ({
    response,
    errorCode: null,
    durationMs: 1234,
    tokens: 42,
    usedTools: ['Read'],
    rowsSeen: [7, 9],
    chipCount: 2,
    classifierTag: 'tag',
    aichatConversationId: 'conv-1',
    ...extra,
  });

  const end = (turnId: string, durationMs = 1): TurnStreamEvent => {
    const data: EndData = { turn_id: turnId, used_tools: [], rows_seen: [], chip_count: 0, classifier_tag: '', duration_ms: durationMs };
    return { kind: 'end', data };
  };

  async function calls(): Promise<{ count: number; sum: number }> {
    const text = await p.app.get(MetricsService).registry.getSingleMetricAsString('paliadin_turn_finishes_per_call');
    const read = (name: string) => Number(new RegExp(`^paliadin_turn_finishes_per_call_${name} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    return { count: read('count'), sum: read('sum') };
  }

  it('250 ends at once go in a few statements; each row completed, each end numbered after its own stored events, every new last seq announced', async () => {
    const ids = await Promise.all(Array.from({ length: 250 }, (_, i) => turn(1 + (i % 7))));
    const committed = new Map<string, StoredTurnEvent[]>();
    const sub = log.committed$.subscribe(({ turnId, events }) => committed.set(turnId, events));
    const before = await calls();
    notified.length = 0;
    try {
      const results = await Promise.all(ids.map((id, i) => log.finish(id, [end(id, i)], completion(`answer ${i}`), true)));
      expect(results.every(Boolean)).toBe(true);
    } finally {
      sub.unsubscribe();
    }
    const after = await calls();
    expect(after.sum - before.sum).toBe(250);
    expect(after.count - before.count).toBeLessThanOrEqual(10);

    const rows: { turn_id: string; response: string; finished: boolean; tokens: number; used_tools: string[]; rows_seen: string[]; conv: string }[] =
      await db.query(
        `SELECT turn_id, response, finished_at IS NOT NULL AS finished, tokens, used_tools, rows_seen::text[] AS rows_seen, aichat_conversation_id AS conv
         FROM paliadin_turns WHERE turn_id = ANY($1::uuid[])`,
        [ids],
      );
    const byId = new Map(rows.map((r) => [r.turn_id, r]));
    const ends: { turn_id: string; seq: number; data: EndData }[] = await db.query(
      `SELECT turn_id, seq, data FROM paliadin_turn_events WHERE turn_id = ANY($1::uuid[]) AND kind = 'end'`,
      [ids],
    );
    const endOf = new Map(ends.map((e) => [e.turn_id, e]));
    ids.forEach((id, i) => {
      expect(byId.get(id)).toEqual({
        turn_id: id,
        response: `answer ${i}`,
        finished: true,
        tokens: 42,
        used_tools: ['Read'],
        rows_seen: ['7', '9'],
        conv: 'conv-1',
      });
      const seq = 1 + (i % 7) + 1;
      expect(endOf.get(id)).toEqual({ turn_id: id, seq, data: end(id, i).data });
      // This instance's readers got the same end at the same seq.
      expect(committed.get(id)).toEqual([{ ...end(id, i), seq }]);
    });

    // Other instances hear every turn's new last seq, in payloads Postgres takes (under 8,000 bytes).
    await waitUntil(() => notified.flatMap((n) => parseNotifyPayload(n).pairs).length >= 250, 5_000, 'the NOTIFYs');
    const pairs = new Map(notified.flatMap((n) => parseNotifyPayload(n).pairs));
    expect(pairs).toEqual(new Map(ids.map((id, i) => [id, 1 + (i % 7) + 1])));
    expect(notified.every((n) => parseNotifyPayload(n).origin === log.instanceId && Buffer.byteLength(n) < 8_000)).toBe(true);
    expect(notified.length).toBeLessThan(250);
  });

  it("ends stored together take only what is theirs: a turn finished already or another instance's is left as it is, the others are finished", async () => {
    const mine = await Promise.all([turn(3), turn(2), turn(4)]);
    const finished = await turn(2);
    await log.finish(
      finished,
      [{ kind: 'error', data: { code: 'cancelled', message: 'x', retryable: false } }],
      completion('', { response: null, errorCode: 'cancelled' }),
    );
    const elsewhere = await turn(2, `other-${randomUUID()}`);
    const all = [...mine, finished, elsewhere];
    const results = await Promise.all(all.map((id) => log.finish(id, [end(id)], completion('late one'), true)));
    expect(results).toEqual([true, true, true, false, false]);

    const rows: { turn_id: string; response: string | null; error_code: string | null; finished: boolean; ends: number }[] = await db.query(
      `SELECT t.turn_id, t.response, t.error_code, t.finished_at IS NOT NULL AS finished,
              (SELECT count(*)::int FROM paliadin_turn_events e WHERE e.turn_id = t.turn_id AND e.kind = 'end') AS ends
       FROM paliadin_turns t WHERE t.turn_id = ANY($1::uuid[])`,
      [all],
    );
    const byId = new Map(rows.map((r) => [r.turn_id, r]));
    for (const id of mine) expect(byId.get(id)).toMatchObject({ response: 'late one', error_code: null, finished: true, ends: 1 });
    expect(byId.get(finished)).toMatchObject({ response: null, error_code: 'cancelled', finished: true, ends: 0 });
    expect(byId.get(elsewhere)).toMatchObject({ response: null, finished: false, ends: 0 });
  });

  it('an end Postgres refuses fails alone: the ends stored with it are finished, its turn is left unfinished', async () => {
    const ids = await Promise.all(Array.from({ length: 8 }, () => turn(2)));
    // tokens is an integer column: 2^40 is out of its range, a permanent refusal.
    const results = await Promise.allSettled(ids.map((id, i) => log.finish(id, [end(id)], completion(`a${i}`, i === 3 ? { tokens: 2 ** 40 } : {}), true)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    expect(String((results[3] as PromiseRejectedResult).reason)).toMatch(/out of range/);
    const rows: { turn_id: string; finished: boolean }[] = await db.query(
      `SELECT turn_id, finished_at IS NOT NULL AS finished FROM paliadin_turns WHERE turn_id = ANY($1::uuid[])`,
      [ids],
    );
    const finished = new Map(rows.map((r) => [r.turn_id, r.finished]));
    expect(ids.map((id) => finished.get(id))).toEqual([true, true, true, false, true, true, true, true]);
  });

  it('a finish that Postgres picks as a deadlock victim is tried again, and numbers its end after what the other transaction stored', async () => {
    const id = await turn(2);
    const other = new pg.Client(own.url);
    await other.connect();
    try {
      // The other transaction stores seq 3 first and keeps it uncommitted: the finish, having locked the row,
      // waits on that seq; then the other asks for the row, and the cycle is there.
      await other.query('BEGIN');
      await other.query(`SET LOCAL deadlock_timeout = '30s'`); // the finish, not this, is the one to find the cycle
      await other.query(`INSERT INTO paliadin_turn_events (turn_id, seq, kind, data) VALUES ($1, 3, 'chunk', '{"text": "x"}')`, [id]);
      const finishing = log.finish(id, [end(id)], completion('after a deadlock'), true);
      // Only this database's statements: other suites' finishes may be waiting in theirs.
      const waiting = `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%jsonb_to_recordset%'`;
      await waitUntil(async () => (await db.query(waiting)).length > 0, 5_000, 'the finish to wait on the uncommitted seq');
      // Granted once the finish is rolled back as the victim.
      await other.query(`SELECT 1 FROM paliadin_turns WHERE turn_id = $1 FOR UPDATE`, [id]);
      await other.query('COMMIT');
      expect(await finishing).toBe(true);
    } finally {
      await other.query('ROLLBACK').catch(() => undefined);
      await other.end();
    }
    const rows: { seq: number; kind: string }[] = await db.query(`SELECT seq, kind FROM paliadin_turn_events WHERE turn_id = $1 ORDER BY seq`, [id]);
    expect(rows.map((r) => `${r.seq} ${r.kind}`)).toEqual(['1 meta', '2 batch', '3 chunk', '4 end']);
  });
});
