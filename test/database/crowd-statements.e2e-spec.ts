import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { PgAgentSessionStore } from '../../src/backends/pg-agent-session-store.js';
import { dataSourceOptions } from '../../src/database/data-source-options.js';
import { runMigrations } from '../../src/database/migrate.js';
import { admissionJson, type Admission } from '../../src/paliadin/turn-admissions.js';
import { finishSql } from '../../src/paliadin/turn-finishes.js';
import { NOT_FINISHED } from '../../src/paliadin/turn-rows.js';
import { RequestStore } from '../../src/requests/request-store.js';
import { SessionStore, type Queryable } from '../../src/sessions/session-store.js';
import { isolatedDatabase } from '../support/isolated-database.js';

const LIVE = 300;

/**
 * What runs once per turn, request or answer (an admission, a finish, a
 * session's lookup, a request's answer, a turn's open requests, a session's
 * requests, a local agent's conversation id) reads only its own rows, however many turns are
 * live (docs/database.md, "Statements under a crowd"). Their plans come from
 * statistics taken while the table was at rest, as a real table's are when
 * a crowd arrives: a history of finished turns, none running, the runners
 * of before. Then a new instance runs 300 turns, each in a session of its
 * own, each waiting for an answer to a request, and each statement runs
 * among them, in a transaction whose counters say how many rows of its table
 * it read, and is rolled back.
 */
describe('statements under a crowd', () => {
  let db: { url: string; drop: () => Promise<void> };
  let c: pg.Client;
  const runner = `crowd-test-${randomUUID()}`;
  const live: { turnId: string; userId: string; sessionId: string }[] = [];
  const openRequests: { requestId: string; turnId: string }[] = [];
  // The stores' statements, on the test's connection.
  const q: Queryable = { query: async (sql, params) => (await c.query(sql, params)).rows };

  const rowsOf = (sql: string, params: unknown[]) => q.query(sql, params) as Promise<Record<string, string>[]>;

  beforeAll(async () => {
    db = await isolatedDatabase();
    const ds = await new DataSource(dataSourceOptions(db.url)).initialize();
    await runMigrations(ds);
    await ds.destroy();
    // Set up as the app's connections are.
    c = new pg.Client({ connectionString: db.url, options: '-c plan_cache_mode=force_generic_plan' });
    await c.connect();

    const users = Array.from({ length: LIVE }, () => randomUUID());
    await rowsOf(`INSERT INTO users (id, email) SELECT u, 'crowd-' || u || '@example.com' FROM unnest($1::uuid[]) u`, [users]);
    const sessions = await rowsOf(
      `INSERT INTO paliadin_sessions (user_id, name, agent_session, created_by, backend)
       SELECT u, 'work', 'crowd-test-' || u, u, 'scripted' FROM unnest($1::uuid[]) u RETURNING id, user_id`,
      [users],
    );
    const turns = (finished: boolean, runnerId: string) =>
      rowsOf(
        `INSERT INTO paliadin_turns (turn_id, user_id, session_id, backend, user_message, runner_id, heartbeat_at, agent_session, session_ref, finished_at)
         SELECT gen_random_uuid(), s.u, 'browser', 'scripted', 'hallo', $3, now(), 'crowd-test-' || s.u, s.id, ${finished ? 'now()' : 'NULL'}
         FROM unnest($1::uuid[], $2::uuid[]) AS s(u, id) RETURNING turn_id, user_id, session_ref`,
        [sessions.map((s) => s.user_id), sessions.map((s) => s.id), runnerId],
      );
    const requests = (of: Record<string, string>[], resolved: boolean) =>
      rowsOf(
        `INSERT INTO paliadin_requests (request_id, turn_id, session_ref, user_id, kind, data, expires_at, resolved_at)
         SELECT gen_random_uuid(), r.t, r.s, r.u, 'question', '{}', now() + interval '1 hour', ${resolved ? 'now()' : 'NULL'}
         FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) AS r(t, s, u) RETURNING request_id, turn_id`,
        [of.map((t) => t.turn_id), of.map((t) => t.session_ref), of.map((t) => t.user_id)],
      );
    for (let i = 0; i < 2; i++) await requests(await turns(true, 'crowd-test-before'), true);
    await c.query(`ANALYZE`);
    const running = await turns(false, runner);
    for (const r of running) live.push({ turnId: r.turn_id, userId: r.user_id, sessionId: r.session_ref });
    for (const r of await requests(running, false)) openRequests.push({ requestId: r.request_id, turnId: r.turn_id });
  });
  afterAll(async () => {
    await c?.end();
    await db?.drop();
  });

  /** What this connection has read of `table` and not yet reported, by sequential scans and through its indexes. */
  async function counters(table: string): Promise<{ scanned: number; viaIndexes: number }> {
    const [read] = await rowsOf(
      `SELECT pg_stat_get_xact_tuples_returned($1::regclass) AS scanned,
              (SELECT sum(pg_stat_get_xact_tuples_returned(indexrelid)) FROM pg_index WHERE indrelid = $1::regclass) AS via_indexes`,
      [table],
    );
    return { scanned: Number(read.scanned), viaIndexes: Number(read.via_indexes) };
  }

  /** What `run` read of `table`, in a transaction of its own (rolled back; Postgres reports counts only outside one). */
  async function rowsRead(table: string, run: () => Promise<void>): Promise<{ scanned: number; viaIndexes: number }> {
    await c.query('BEGIN');
    try {
      const before = await counters(table);
      await run();
      const after = await counters(table);
      return { scanned: after.scanned - before.scanned, viaIndexes: after.viaIndexes - before.viaIndexes };
    } finally {
      await c.query('ROLLBACK');
    }
  }

  it("an admission reads only its own user's and agent session's unfinished turns", async () => {
    const [user] = await rowsOf(`INSERT INTO users (id, email) VALUES (gen_random_uuid(), 'crowd-new@example.com') RETURNING id`, []);
    const admission: Admission = {
      turnId: randomUUID(),
      userId: user.id,
      agentSession: `crowd-test-${user.id}`,
      backend: 'scripted',
      driver: null,
      browserSession: 'browser',
      startedAt: new Date(),
      userMessage: 'hallo',
      pageOrigin: null,
      context: null,
      runnerId: runner,
      cap: 5,
      clientTools: null,
    };
    const read = await rowsRead('paliadin_turns', async () => {
      expect(await rowsOf(`SELECT outcome FROM paliadin_admit_turns($1::jsonb)`, [JSON.stringify([admissionJson(admission)])])).toEqual([
        { outcome: 'admitted' },
      ]);
    });
    // Its user's and its agent session's: none. Before the per-user index named its user, the look by agent
    // session read that index whole (300 entries); with no index of unfinished turns, the table (900 rows).
    expect(read.scanned).toBe(0);
    expect(read.viaIndexes).toBeLessThanOrEqual(2);
  });

  it('a finish of 100 turns reads their rows by id, not the table', async () => {
    const ends = live.slice(0, 100).map(({ turnId }) => ({
      turn_id: turnId,
      response: 'fertig',
      used_tools: [],
      rows_seen: [],
      chip_count: 0,
      events: [['end', { turn_id: turnId }]],
    }));
    const read = await rowsRead('paliadin_turns', async () => {
      const { rowCount } = await c.query(finishSql(`${NOT_FINISHED} AND t.runner_id = '${runner}'`, runner, 'crowd_test'), [JSON.stringify(ends)]);
      expect(rowCount).toBe(100);
    });
    // Before the rows were asked for by id, the statement read the whole table (900 rows) and matched each against each end.
    expect(read.scanned).toBe(0);
    // Each turn's row by its id, and its agent session's next turn (a trigger): at most two entries per turn.
    expect(read.viaIndexes).toBeLessThanOrEqual(200);
  });

  it("a session's lookup reads only that session's unfinished turns", async () => {
    const { sessionId, turnId } = live[LIVE - 1];
    let found: string | null | undefined;
    const read = await rowsRead('paliadin_turns', async () => {
      const session = await SessionStore.find(q, sessionId);
      found = session?.running_turn_id;
    });
    expect(found).toBe(turnId);
    // Before the index of a session's unfinished turns, its running turn was looked for among all 300.
    expect(read.scanned).toBe(0);
    expect(read.viaIndexes).toBeLessThanOrEqual(3);
  });
  it('answering a request reads only that request', async () => {
    const { requestId } = openRequests[17];
    const read = await rowsRead('paliadin_requests', async () => {
      const resolved = await RequestStore.resolve(q, requestId, { by: 'user', outcome: { answers: { q: ['ja'] } }, answeredBy: 'crowd-test' });
      expect(resolved?.request_id).toBe(requestId);
    });
    // Before "not resolved" was spelled apart from the open requests' indexes, one of them was read whole: 300 entries.
    expect(read.scanned).toBe(0);
    expect(read.viaIndexes).toBeLessThanOrEqual(1);
  });

  it("a turn's open requests are read from that turn's", async () => {
    const { requestId, turnId } = openRequests[42];
    let open: { request_id: string }[] = [];
    const read = await rowsRead('paliadin_requests', async () => {
      open = await RequestStore.openOfTurn(q, turnId);
    });
    expect(open.map((r) => r.request_id)).toEqual([requestId]);
    expect(read.scanned).toBe(0);
    // The turn's one request: before, the 300 open ones of every turn.
    expect(read.viaIndexes).toBeLessThanOrEqual(3);
  });
  it("a session's requests, open or all, are read from that session's", async () => {
    const { sessionId } = live[77];
    const listed: Record<'open' | 'all', number> = { open: 0, all: 0 };
    const read = await rowsRead('paliadin_requests', async () => {
      listed.open = (await RequestStore.ofSession(q, sessionId, true, 200)).length;
      listed.all = (await RequestStore.ofSession(q, sessionId, false, 200)).length;
    });
    // Its open request, then all three (two answered before the crowd came).
    expect(listed).toEqual({ open: 1, all: 3 });
    // Before the session's index of all its requests, the listing of all read the whole table: 900 rows.
    expect(read.scanned).toBe(0);
    expect(read.viaIndexes).toBeLessThanOrEqual(4);
  });

  it("a local agent's conversation is read and recorded by its agent session, not among every active session", async () => {
    const { userId } = live[123];
    const store = new PgAgentSessionStore(q as unknown as DataSource, 'stream-json');
    let found: string | undefined;
    const read = await rowsRead('paliadin_sessions', async () => {
      await store.set(`crowd-test-${userId}`, 'conversation-123');
      found = (await store.get(`crowd-test-${userId}`))?.id;
    });
    expect(found).toBe('conversation-123');
    // One session each time (the read may also meet the copy the update left). Before its index, each
    // statement read all 300 active sessions (every user's default session stays active: as many as the users).
    expect(read.scanned).toBe(0);
    expect(read.viaIndexes).toBeLessThanOrEqual(4);
  });
});
