import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource, type QueryRunner } from 'typeorm';
import { kinds, startPipelineApp, type PipelineApp } from '../support/pipeline-app.js';

/** Overload is an answer: 503 with Retry-After and the error envelope, never a 500. */
describe('an instance that cannot take more work', () => {
  let p: PipelineApp;
  beforeAll(async () => {
    p = await startPipelineApp({ PALIADIN_MAX_LIVE_TURNS: '2', PALIADIN_DB_POOL_SIZE: '3', PALIADIN_DB_POOL_WAIT_MS: '1000' });
    p.backend.script = (req) =>
      req.message === 'hold' ? [{ delay: 100_000, event: { type: 'done', response: 'x' } }] : [{ event: { type: 'done', response: 'ok' } }];
  });
  afterAll(() => p.app.close());

  it('beyond PALIADIN_MAX_LIVE_TURNS, POST turn answers 503 with Retry-After; a slot freed takes turns again', async () => {
    const held = [await p.ask('cap1@example.com', { user_message: 'hold' }), await p.ask('cap2@example.com', { user_message: 'hold' })];
    const res = await p
      .http()
      .post('/api/paliadin/turn')
      .set('Authorization', await p.auth('cap3@example.com'))
      .send({ user_message: 'more' });
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('2');
    expect(res.body).toEqual({ statusCode: 503, error: 'Service Unavailable', message: 'This server is running 2 turns, its limit; try again shortly' });
    const [{ n }] = await p.app
      .get(DataSource)
      .query(`SELECT count(*)::int AS n FROM paliadin_turns t JOIN users u ON u.id = t.user_id WHERE u.email = 'cap3@example.com'`);
    expect(n).toBe(0);

    await p
      .http()
      .post(`/api/paliadin/turns/${held[0]}/cancel`)
      .set('Authorization', await p.auth('cap1@example.com'));
    const id = await p.ask('cap3@example.com', { user_message: 'more' });
    expect(kinds((await p.read('cap3@example.com', id)).events)).toEqual(['meta', 'content', 'end']);
    await p
      .http()
      .post(`/api/paliadin/turns/${held[1]}/cancel`)
      .set('Authorization', await p.auth('cap2@example.com'));
  });

  it('a burst of POSTs at once gets no more turns than the cap: the place is taken before the first await', async () => {
    const emails = Array.from({ length: 6 }, (_, i) => `burst${i}@example.com`);
    const auths = await Promise.all(emails.map((e) => p.auth(e)));
    const res = await Promise.all(auths.map((a) => p.http().post('/api/paliadin/turn').set('Authorization', a).send({ user_message: 'hold' })));
    const started = res.filter((r) => r.status === 200);
    expect(started).toHaveLength(2);
    expect(res.filter((r) => r.status === 503)).toHaveLength(4);
    const [{ n }] = await p.app
      .get(DataSource)
      .query(`SELECT count(*)::int AS n FROM paliadin_turns t JOIN users u ON u.id = t.user_id WHERE u.email LIKE 'burst%' AND t.finished_at IS NULL`);
    expect(n).toBe(2);
    for (const r of started) {
      const i = res.indexOf(r);
      await p
        .http()
        .post(`/api/paliadin/turns/${r.body.turn_id as string}/cancel`)
        .set('Authorization', auths[i]);
    }
  });

  it('with no database connection to be had in PALIADIN_DB_POOL_WAIT_MS, POST turn and GET stream answer 503, and recover after', async () => {
    const email = 'pool@example.com';
    const auth = await p.auth(email);
    const id = await p.ask(email, { user_message: 'fine' });
    // Finished (its events stored) before the pool is taken: what follows is about requests, not this turn's writes.
    expect(kinds((await p.read(email, id)).events)).toEqual(['meta', 'content', 'end']);
    // Hold every connection of the pool, as 2,000 busy turns would.
    const ds = p.app.get(DataSource);
    const held: QueryRunner[] = [];
    for (let i = 0; i < 3; i++) {
      const r = ds.createQueryRunner();
      await r.connect();
      held.push(r);
    }
    try {
      const post = await p.http().post('/api/paliadin/turn').set('Authorization', auth).send({ user_message: 'busy' });
      expect(post.status).toBe(503);
      expect(post.headers['retry-after']).toBe('2');
      expect(post.body).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        message: 'The server is busy or cannot reach its database; try again shortly',
      });
      const stream = await p.read(email, id);
      expect(stream.status).toBe(503);
      expect(stream.headers['retry-after']).toBe('2');
      expect(stream.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
    } finally {
      await Promise.all(held.map((r) => r.release()));
    }
    expect(kinds((await p.read(email, id)).events)).toEqual(['meta', 'content', 'end']);
  });
});
