import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import type { BackendEvent } from '../../src/backends/backend.interface.js';
import { SessionStore } from '../../src/sessions/session-store.js';
import { isolatedDatabase } from '../support/isolated-database.js';
import { startPipelineApp, type PipelineApp } from '../support/pipeline-app.js';
import { readSse, type SseEvent } from '../support/sse-client.js';
import { tokenFor } from '../support/tokens.js';
import { waitUntil } from '../support/wait.js';

const key = (e: SseEvent) => `${e.id}|${e.event}|${JSON.stringify(e.data)}`;
const stored = (events: SseEvent[]) => events.filter((e) => e.event !== 'ping');

/** Seeded, so a failure reproduces. */
function random(seed: number): () => number {
  return () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
}

const chunk = (text: string): BackendEvent => ({ type: 'chunk', text });

describe('the session stream', () => {
  let db: { url: string; drop: () => Promise<void> };
  let a: PipelineApp;
  let b: PipelineApp;
  const email = 'watcher@example.com';
  beforeAll(async () => {
    db = await isolatedDatabase();
    const env = { DATABASE_URL: db.url, PALIADIN_QUEUE_POLL_MS: '30' };
    a = await startPipelineApp(env);
    b = await startPipelineApp(env);
    for (const p of [a, b]) {
      p.backend.script = (req) => [
        ...Array.from({ length: 8 }, (_, i) => ({ delay: 10, event: chunk(`${req.message}-${i} `) })),
        { event: { type: 'done', response: '' } as BackendEvent },
      ];
    }
  });
  afterAll(async () => {
    await a.app.close();
    await b.app.close();
    await db.drop();
  });

  const read = async (p: PipelineApp, sid: string, opts: { lastEventId?: string; stopAfterBytes?: number } = {}) =>
    readSse(p.url, `/api/sessions/${sid}/events`, { token: await tokenFor(email), dropPings: true, ...opts });

  it('two turns back to back, read with random cuts and resumes on both instances, exactly once and in order; an ended session replays and closes', async () => {
    const auth = `Bearer ${await tokenFor(email)}`;
    const sid = (await a.http().post('/api/sessions').set('Authorization', auth).send({ name: 'watched' })).body.id as string;
    const next = random(3);
    const readWithCuts = async (p: PipelineApp) => {
      const union: SseEvent[] = [];
      let last: string | undefined;
      for (let guard = 0; guard < 400; guard++) {
        const part = await read(p, sid, { lastEventId: last, stopAfterBytes: 60 + Math.floor(next() * 300) });
        union.push(...stored(part.events));
        if (union.length) last = union.at(-1)!.id;
        if (part.ended) return union;
      }
      throw new Error('the stream did not end');
    };
    const readers = Promise.all([readWithCuts(a), readWithCuts(b)]);
    const first = (await a.http().post(`/api/sessions/${sid}/exec`).set('Authorization', auth).send({ input: 'eins' })).body.turn_id as string;
    const second = (await b.http().post(`/api/sessions/${sid}/exec`).set('Authorization', auth).send({ input: 'zwei' })).body.turn_id as string;
    await a.read(email, second);
    expect((await a.http().post(`/api/sessions/${sid}/checkin`).set('Authorization', auth)).status).toBe(200);
    const [onA, onB] = await readers;

    const full = await read(b, sid);
    expect(full.ended).toBe(true);
    const events = stored(full.events);
    expect(events.map((e) => e.event)).toEqual(['session', 'turn', ...Array(8).fill('content'), 'end', 'turn', ...Array(8).fill('content'), 'end', 'session']);
    expect(events.map((e) => e.id)).toEqual([
      '1',
      '2',
      ...Array.from({ length: 9 }, (_, i) => `2.${i + 2}`),
      '3',
      ...Array.from({ length: 9 }, (_, i) => `3.${i + 2}`),
      '4',
    ]);
    expect(events[1].data).toMatchObject({ turn_id: first, input: 'eins' });
    expect(events[2].data).toEqual({ delta: 'eins-0 ', streamed: true, turn_id: first });
    expect(events[11].data).toMatchObject({ turn_id: second, input: 'zwei' });
    expect(events.at(-1)!.data).toMatchObject({ status: 'ended', reason: 'checkin' });
    expect(onA.map(key)).toEqual(events.map(key));
    expect(onB.map(key)).toEqual(events.map(key));
    // Resuming inside a turn, or from its `turn` event, gives exactly the rest.
    for (const id of ['2', '2.5', '3.10', '4']) {
      const rest = stored((await read(a, sid, { lastEventId: id })).events);
      expect({ id, rest: rest.map(key) }).toEqual({ id, rest: events.slice(events.findIndex((e) => e.id === id) + 1).map(key) });
    }
  });

  it('a session that ends while a reader looks at it: the reader gets its last event before the stream closes', async () => {
    const auth = `Bearer ${await tokenFor(email)}`;
    const sid = (await a.http().post('/api/sessions').set('Authorization', auth).send({ name: 'ending' })).body.id as string;
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    try {
      // The reader has the session's first event and polls. Its next look at the session row waits
      // for our lock, and the session ends (its last event and its status, one statement) meanwhile.
      // (pg_stat_activity shows a statement waiting for a lock in its parse step by the one before it.)
      const seen: SseEvent[] = [];
      const reading = readSse(a.url, `/api/sessions/${sid}/events`, { token: await tokenFor(email), dropPings: true, onEvent: (e) => seen.push(e) });
      await waitUntil(() => seen.length === 1, 10_000, 'the first event');
      await admin.query('BEGIN');
      await admin.query('LOCK TABLE paliadin_sessions IN ACCESS EXCLUSIVE MODE');
      await waitUntil(
        async () =>
          (
            await admin.query(
              `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'`,
            )
          ).rows[0].n === 1,
        10_000,
        "the reader's look at the session to wait for the lock",
      );
      const ended = await SessionStore.end({ query: async (sql, params) => (await admin.query(sql, params)).rows }, sid, 'ended', 'checkin');
      expect(ended).toBe(true);
      await admin.query('COMMIT');
      const r = await reading;
      expect(r.ended).toBe(true);
      expect(stored(r.events).map((e) => `${e.id}|${e.event}`)).toEqual(['1|session', '2|session']);
      expect(stored(r.events).at(-1)!.data).toMatchObject({ status: 'ended', reason: 'checkin' });
    } finally {
      await admin.query('ROLLBACK').catch(() => undefined);
      await admin.end();
    }
  });

  it('a bad Last-Event-ID is a 400; another user’s session a 404', async () => {
    const auth = `Bearer ${await tokenFor(email)}`;
    const sid = (await a.http().post('/api/sessions').set('Authorization', auth).send({ name: 'other' })).body.id as string;
    const bad = await read(a, sid, { lastEventId: '2.x' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ message: 'Last-Event-ID must be N or N.M (non-negative integers)' });
    const foreign = await readSse(a.url, `/api/sessions/${sid}/events`, { token: await tokenFor('eve@example.com') });
    expect(foreign.status).toBe(404);
  });
});
