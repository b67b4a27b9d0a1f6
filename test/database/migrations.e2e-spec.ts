import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options.js';
import { revertLastMigration, runMigrations } from '../../src/database/migrate.js';
import { MIGRATIONS } from '../../migrations/index.js';
import { isolatedDatabase as freshDatabase } from '../support/isolated-database.js';

const TABLES = [
  'api_keys',
  'paliadin_requests',
  'paliadin_session_events',
  'paliadin_sessions',
  'paliadin_turn_events',
  'paliadin_turns',
  'paliadin_webhook_attempts',
  'paliadin_webhook_deliveries',
  'paliadin_webhook_messages',
  'paliadin_webhooks',
  'users',
];

async function tables(ds: DataSource): Promise<string[]> {
  const rows: { table_name: string }[] = await ds.query(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'migrations' ORDER BY 1`,
  );
  return rows.map((r) => r.table_name);
}

describe('migrations', () => {
  let db: { url: string; drop: () => Promise<void> };
  let ds: DataSource;
  beforeAll(async () => {
    db = await freshDatabase();
    ds = await new DataSource(dataSourceOptions(db.url)).initialize();
  });
  afterAll(async () => {
    await ds.destroy();
    await db.drop();
  });

  it('go up, down and up again', async () => {
    expect((await runMigrations(ds)).length).toBeGreaterThan(0);
    expect(await tables(ds)).toEqual(TABLES);
    expect(await runMigrations(ds)).toEqual([]);
    for (const _ of MIGRATIONS) await revertLastMigration(ds);
    expect(await tables(ds)).toEqual([]);
    await runMigrations(ds);
    expect(await tables(ds)).toEqual(TABLES);
  });

  it('reverting the event batches splits batch rows back into one row per event', async () => {
    const [user] = await ds.query(`INSERT INTO users (email) VALUES ('batches@example.com') RETURNING id`);
    const [turn] = await ds.query(`INSERT INTO paliadin_turns (user_id, session_id, backend, user_message) VALUES ($1, 's', 'x', 'm') RETURNING turn_id`, [
      user.id,
    ]);
    await ds.query(
      `INSERT INTO paliadin_turn_events (turn_id, seq, last_seq, kind, data) VALUES
         ($1, 1, NULL, 'meta', '{"turn_id":"t"}'), ($1, 2, 4, 'batch', '["a", {"k":"thinking","d":{"elapsed_seconds":1}}, "b"]'), ($1, 5, NULL, 'end', '{}')`,
      [turn.turn_id],
    );
    // Back to before EventBatches (the migrations after it first).
    for (let i = MIGRATIONS.length - 1; MIGRATIONS[i].name !== 'EventBatches1764000000000'; i--) await revertLastMigration(ds);
    await revertLastMigration(ds);
    const rows = await ds.query(`SELECT seq, kind, data FROM paliadin_turn_events WHERE turn_id = $1 ORDER BY seq`, [turn.turn_id]);
    expect(rows).toEqual([
      { seq: 1, kind: 'meta', data: { turn_id: 't' } },
      { seq: 2, kind: 'content', data: { delta: 'a', streamed: true } },
      { seq: 3, kind: 'thinking', data: { elapsed_seconds: 1 } },
      { seq: 4, kind: 'content', data: { delta: 'b', streamed: true } },
      { seq: 5, kind: 'end', data: {} },
    ]);
    await runMigrations(ds);
  });

  it('agent tags for existing users: of users who shared a name the oldest keeps it, the others move with their active sessions', async () => {
    // Back to before AgentTags, where two users whose UUIDs began alike shared agent sessions.
    for (let i = MIGRATIONS.length - 1; MIGRATIONS[i].name !== 'AgentTags1765900000000'; i--) await revertLastMigration(ds);
    await revertLastMigration(ds);
    const first8 = randomBytes(4).toString('hex');
    const [older, newer] = [`${first8}${randomUUID().slice(8)}`, `${first8}${randomUUID().slice(8)}`];
    await ds.query(`INSERT INTO users (id, email, created_at) VALUES ($1, 'older@example.com', now() - interval '2 days'), ($2, 'newer@example.com', now())`, [
      older,
      newer,
    ]);
    const session = async (user: string, name: string, agentSession: string, status = 'active') =>
      (
        await ds.query(
          `INSERT INTO paliadin_sessions (user_id, name, agent_session, created_by, backend, status, agent_session_id)
           VALUES ($1, $2, $3, 'test', 'local', $4, 'conversation-of-both') RETURNING id`,
          [user, name, agentSession, status],
        )
      )[0].id as string;
    const shared = `p-x-${first8}`;
    const ids = {
      olderDefault: await session(older, 'default', shared),
      newerDefault: await session(newer, 'default', shared),
      newerNamed: await session(newer, 'ci', `${shared}-ci`),
      newerEnded: await session(newer, 'old', `${shared}-old`, 'ended'),
    };
    await runMigrations(ds);

    const tags = await ds.query(`SELECT id, agent_tag FROM users WHERE id = ANY($1) ORDER BY created_at`, [[older, newer]]);
    const second8 = newer.replace(/-/g, '').slice(8, 16);
    expect(tags).toEqual([
      { id: older, agent_tag: first8 },
      { id: newer, agent_tag: second8 },
    ]);
    const rows: { id: string; agent_session: string; agent_session_id: string | null }[] = await ds.query(
      `SELECT id, agent_session, agent_session_id FROM paliadin_sessions WHERE id = ANY($1)`,
      [Object.values(ids)],
    );
    const of = (id: string) => rows.find((r) => r.id === id);
    expect([of(ids.olderDefault), of(ids.newerDefault), of(ids.newerNamed), of(ids.newerEnded)]).toEqual([
      { id: ids.olderDefault, agent_session: shared, agent_session_id: 'conversation-of-both' },
      { id: ids.newerDefault, agent_session: `p-x-${second8}`, agent_session_id: null },
      { id: ids.newerNamed, agent_session: `p-x-${second8}-ci`, agent_session_id: null },
      { id: ids.newerEnded, agent_session: `${shared}-old`, agent_session_id: 'conversation-of-both' },
    ]);
    // A user inserted now gets a tag nobody has (the trigger), whatever inserts it.
    const third = `${first8}${randomUUID().slice(8)}`;
    const [inserted] = await ds.query(`INSERT INTO users (id, email) VALUES ($1, 'third@example.com') RETURNING agent_tag`, [third]);
    expect(inserted.agent_tag).toBe(third.replace(/-/g, '').slice(8, 16));
    await ds.query(`DELETE FROM users WHERE id = ANY($1)`, [[older, newer, third]]);
  });

  it('deleting turns, by hand or with their user, deletes their events and no others (a trigger, not a foreign key)', async () => {
    const [user] = await ds.query(`INSERT INTO users (email) VALUES ('cascade@example.com') RETURNING id`);
    const [other] = await ds.query(`INSERT INTO users (email) VALUES ('cascade-other@example.com') RETURNING id`);
    const turn = async (userId: string): Promise<string> => {
      const [t] = await ds.query(`INSERT INTO paliadin_turns (user_id, session_id, backend, user_message) VALUES ($1, 's', 'x', 'm') RETURNING turn_id`, [
        userId,
      ]);
      await ds.query(`INSERT INTO paliadin_turn_events (turn_id, seq, kind, data) VALUES ($1, 1, 'meta', '{}'), ($1, 2, 'end', '{}')`, [t.turn_id]);
      return t.turn_id as string;
    };
    const [a, b, kept] = [await turn(user.id), await turn(user.id), await turn(other.id)];
    const events = async (id: string) => Number((await ds.query(`SELECT count(*) AS n FROM paliadin_turn_events WHERE turn_id = $1`, [id]))[0].n);
    await ds.query(`DELETE FROM paliadin_turns WHERE turn_id = $1`, [a]);
    expect([await events(a), await events(b), await events(kept)]).toEqual([0, 2, 2]);
    await ds.query(`DELETE FROM users WHERE id = $1`, [user.id]);
    expect([await events(b), await events(kept)]).toEqual([0, 2]);
    await ds.query(`DELETE FROM users WHERE id = $1`, [other.id]);
    expect(await events(kept)).toBe(0);
  });

  it('create the columns of docs/database.md with timestamptz times and generated uuids', async () => {
    const cols: { table_name: string; column_name: string; data_type: string; udt_name: string; column_default: string | null }[] = await ds.query(
      `SELECT table_name, column_name, data_type, udt_name, column_default FROM information_schema.columns
       WHERE table_schema = 'public' AND table_name = ANY($1) ORDER BY table_name, ordinal_position`,
      [TABLES],
    );
    const of = (t: string) => cols.filter((c) => c.table_name === t).map((c) => c.column_name);
    expect(of('users')).toEqual(['id', 'email', 'created_at', 'last_seen_at', 'agent_tag']);
    expect(of('api_keys')).toEqual(['id', 'user_id', 'name', 'prefix', 'hash', 'scopes', 'created_at', 'last_used_at', 'expires_at', 'revoked_at']);
    expect(of('paliadin_turns')).toEqual([
      'turn_id',
      'user_id',
      'session_id',
      'backend',
      'started_at',
      'finished_at',
      'user_message',
      'response',
      'error_code',
      'duration_ms',
      'tokens',
      'used_tools',
      'rows_seen',
      'chip_count',
      'classifier_tag',
      'page_origin',
      'context',
      'aichat_conversation_id',
      'runner_id',
      'heartbeat_at',
      'events_compacted_at',
      'agent_session',
      'queue_seq',
      'claimed_at',
      'session_ref',
      'handed_over_at',
      'client_tools',
    ]);
    expect(of('paliadin_turn_events')).toEqual(['turn_id', 'seq', 'kind', 'data', 'created_at', 'last_seq']);
    expect(of('paliadin_sessions')).toContain('agent_session_at');

    const times = cols.filter((c) => c.column_name.endsWith('_at'));
    expect(times.length).toBeGreaterThan(8);
    for (const c of times) expect(`${c.table_name}.${c.column_name}:${c.data_type}`).toBe(`${c.table_name}.${c.column_name}:timestamp with time zone`);
    for (const [t, c] of [
      ['users', 'id'],
      ['api_keys', 'id'],
      ['paliadin_turns', 'turn_id'],
    ]) {
      const col = cols.find((x) => x.table_name === t && x.column_name === c)!;
      expect(col.udt_name).toBe('uuid');
      expect(col.column_default).toBe('gen_random_uuid()');
    }
    const typeOf = (t: string, c: string) => cols.find((x) => x.table_name === t && x.column_name === c)!.udt_name;
    expect(typeOf('paliadin_turns', 'used_tools')).toBe('_text');
    expect(typeOf('paliadin_turns', 'rows_seen')).toBe('_int8');
    expect(typeOf('paliadin_turns', 'context')).toBe('jsonb');
    expect(typeOf('paliadin_turn_events', 'data')).toBe('jsonb');
    const [pk] = await ds.query(
      `SELECT string_agg(a.attname, ',' ORDER BY array_position(i.indkey, a.attnum)) AS cols
       FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
       WHERE i.indrelid = 'paliadin_turn_events'::regclass AND i.indisprimary`,
    );
    expect(pk.cols).toBe('turn_id,seq');
  });
});

describe('migrations at boot', () => {
  it('run once when several instances start together (advisory lock)', async () => {
    const db = await freshDatabase();
    const sources = await Promise.all([0, 1, 2].map(() => new DataSource(dataSourceOptions(db.url)).initialize()));
    try {
      const applied = await Promise.all(sources.map((s) => runMigrations(s)));
      expect(applied.map((a) => a.length).sort()).toEqual([0, 0, MIGRATIONS.length]);
      const [{ n }] = await sources[0].query(`SELECT count(*)::int AS n FROM migrations`);
      expect(n).toBe(MIGRATIONS.length);
    } finally {
      for (const s of sources) await s.destroy();
      await db.drop();
    }
  });
});
