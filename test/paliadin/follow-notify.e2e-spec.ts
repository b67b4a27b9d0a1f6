import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { EVENTS_CHANNEL, INTEREST_CHANNEL } from '../../src/paliadin/turn-event-log.js';
import { isolatedDatabase } from '../support/isolated-database.js';
import { kinds, startPipelineApp, type PipelineApp } from '../support/pipeline-app.js';
import type { SseEvent } from '../support/sse-client.js';
import { waitUntil } from '../support/wait.js';

const deltas = (events: SseEvent[]) => events.filter((e) => e.event === 'content').map((e) => (e.data as { delta: string }).delta);

/**
 * A turn's flushes NOTIFY only while a reader on another instance follows it
 * (docs/event-log.md): readers on the writing instance get the events
 * directly, and a NOTIFY nobody needs costs every commit. Two instances on a
 * database of their own, and a LISTEN connection of the test's counting what
 * Postgres delivers.
 */
describe('NOTIFY only for turns followed from another instance', () => {
  let db: { url: string; drop: () => Promise<void> };
  let a: PipelineApp;
  let b: PipelineApp;
  let listener: pg.Client;
  let admin: pg.Client;
  const notified: string[] = [];
  const notificationsOf = (turnId: string) => notified.filter((p) => p.includes(turnId)).length;
  /** Turn ids a reader said it follows (INTEREST_CHANNEL), as Postgres delivered them to the writer too. */
  const interest: string[] = [];

  beforeAll(async () => {
    db = await isolatedDatabase();
    a = await startPipelineApp({ DATABASE_URL: db.url });
    b = await startPipelineApp({ DATABASE_URL: db.url });
    listener = new pg.Client({ connectionString: db.url });
    await listener.connect();
    listener.on('notification', (n) => (n.channel === INTEREST_CHANNEL ? interest : notified).push(n.payload ?? ''));
    await listener.query(`LISTEN ${EVENTS_CHANNEL}`);
    await listener.query(`LISTEN ${INTEREST_CHANNEL}`);
    admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
  });
  afterAll(async () => {
    await listener.end();
    await admin.end();
    await a.app.close();
    await b.app.close();
    await db.drop();
  });

  it('a turn read only where it runs streams without a NOTIFY; its finish sends the one', async () => {
    a.backend.script = () => [
      ...['one ', 'two ', 'three ', 'four'].map((text) => ({ delay: 20, event: { type: 'chunk' as const, text } })),
      { event: { type: 'done', response: '' } },
    ];
    const id = await a.ask('local-only@example.com');
    const read = await a.read('local-only@example.com', id);
    expect(kinds(read.events)).toEqual(['meta', 'content', 'content', 'content', 'content', 'end']);
    await waitUntil(() => Promise.resolve(notificationsOf(id) >= 1), 5_000, 'the finish notification');
    expect(notificationsOf(id)).toBe(1);
  });

  it('a reader on the other instance gets every event live: the writer NOTIFYs once it follows', async () => {
    a.backend.script = (req) => [
      { delay: 20, event: { type: 'chunk', text: 'before ' } },
      // The reader on B arrives during this pause, which lasts until its interest reached the writer.
      {
        after: waitUntil(() => Promise.resolve(interest.includes(req.turnId)), 10_000, "the reader's interest"),
        delay: 50,
        event: { type: 'chunk', text: 'after ' },
      },
      { delay: 20, event: { type: 'chunk', text: 'and more' } },
      { event: { type: 'done', response: '' } },
    ];
    const id = await a.ask('followed@example.com');
    await waitUntil(
      async () => (await admin.query(`SELECT count(*)::int AS n FROM paliadin_turn_events WHERE turn_id = $1`, [id])).rows[0].n >= 2,
      5_000,
      'the first chunk stored',
    );
    const read = await b.read('followed@example.com', id);
    expect(deltas(read.events)).toEqual(['before ', 'after ', 'and more']);
    expect(kinds(read.events).at(-1)).toBe('end');
    // The two chunks after B followed, and the finish.
    expect(notificationsOf(id)).toBeGreaterThanOrEqual(3);
  });

  it('a reader that arrives while a flush is in flight gets that flush, though the flush went without a NOTIFY', async () => {
    // The flush holding SLOW sits in the database for a while; the turn then says nothing for long.
    await admin.query(`
      CREATE OR REPLACE FUNCTION test_slow_write() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.data::text LIKE '%SLOW%' THEN PERFORM pg_sleep(0.5); END IF;
        RETURN NEW;
      END $$;
      DROP TRIGGER IF EXISTS test_slow_write ON paliadin_turn_events;
      CREATE TRIGGER test_slow_write BEFORE INSERT ON paliadin_turn_events FOR EACH ROW EXECUTE FUNCTION test_slow_write();
    `);
    try {
      a.backend.script = () => [
        { delay: 20, event: { type: 'chunk', text: 'first ' } },
        { delay: 50, event: { type: 'chunk', text: 'SLOW ' } },
        { delay: 60_000, event: { type: 'done', response: '' } },
      ];
      const id = await a.ask('in-flight@example.com');
      await waitUntil(
        async () => (await admin.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event = 'PgSleep'`)).rows[0].n === 1,
        5_000,
        'the SLOW flush in flight',
      );
      const seen: SseEvent[] = [];
      const cut = new AbortController();
      const reading = b.read('in-flight@example.com', id, { signal: cut.signal, onEvent: (ev) => seen.push(ev) });
      // Long before the turn's next event (a minute away), the reader has what was in flight.
      await waitUntil(() => Promise.resolve(deltas(seen).includes('SLOW ')), 10_000, 'the in-flight chunk to reach the reader on B');
      expect(deltas(seen)).toEqual(['first ', 'SLOW ']);
      cut.abort();
      await reading;
      await a
        .http()
        .post(`/api/paliadin/turns/${id}/cancel`)
        .set('Authorization', await a.auth('in-flight@example.com'));
    } finally {
      await admin.query(`DROP TRIGGER IF EXISTS test_slow_write ON paliadin_turn_events`);
    }
  });
});
