import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { isolatedDatabase } from '../support/isolated-database.js';
import { kinds, startPipelineApp, type PipelineApp } from '../support/pipeline-app.js';
import { waitUntil } from '../support/wait.js';

/** One turn at a time per agent session, across instances, in arrival order; other sessions run alongside. */
describe('one turn per agent session, across instances', () => {
  let db: { url: string; drop: () => Promise<void> };
  let a: PipelineApp;
  let b: PipelineApp;
  const startedAt = new Map<string, number>();
  const finishedAt = async (id: string) =>
    ((await a.app.get(DataSource).query(`SELECT finished_at FROM paliadin_turns WHERE turn_id = $1`, [id]))[0].finished_at as Date).getTime();

  beforeAll(async () => {
    db = await isolatedDatabase();
    const env = { DATABASE_URL: db.url, PALIADIN_QUEUE_POLL_MS: '50', PALIADIN_THINKING_INTERVAL_MS: '40', PALIADIN_JANITOR_INTERVAL_MS: '100' };
    a = await startPipelineApp(env);
    b = await startPipelineApp(env);
    for (const p of [a, b]) {
      p.backend.script = (req) => {
        startedAt.set(req.turnId, Date.now());
        return req.message === 'hold'
          ? [{ delay: 100_000, event: { type: 'done', response: 'x' } }]
          : [{ delay: 150, event: { type: 'done', response: `answer to ${req.message}` } }];
      };
    }
  });
  afterAll(async () => {
    await a.app.close();
    await b.app.close();
    await db.drop();
  });

  it('turns of one user posted to two instances run one after another, in the order they arrived, the wait shown as thinking', async () => {
    const email = 'queue@example.com';
    const ids: string[] = [];
    for (const [i, p] of [a, b, a, b].entries()) ids.push(await p.ask(email, { user_message: `q${i}` }));
    const reads = await Promise.all(ids.map((id, i) => (i % 2 ? b : a).read(email, id, { dropPings: true })));
    for (const r of reads) expect(kinds(r.events).at(-1)).toBe('end');
    const starts = ids.map((id) => startedAt.get(id)!);
    expect([...starts].sort((x, y) => x - y)).toEqual(starts);
    for (let i = 1; i < ids.length; i++) expect(starts[i]).toBeGreaterThanOrEqual(await finishedAt(ids[i - 1]));
    // The last one waited for three others: its wait is visible.
    expect(reads[3].events.some((e) => e.event === 'thinking' && (e.data as { queued?: boolean }).queued === true)).toBe(true);
    expect(reads[0].events.some((e) => (e.data as { queued?: boolean }).queued)).toBe(false);
  });

  it("another user's turn is not held up; a cancelled waiting turn never runs and lets the next one go", async () => {
    const email = 'busyqueue@example.com';
    const held = await a.ask(email, { user_message: 'hold' });
    const waiting = await b.ask(email, { user_message: 'waits' });
    const next = await a.ask(email, { user_message: 'next' });
    const other = await b.ask('someoneelse@example.com', { user_message: 'free' });
    expect(kinds((await b.read('someoneelse@example.com', other)).events).at(-1)).toBe('end');
    expect(startedAt.has(waiting)).toBe(false);

    const cancel = await b
      .http()
      .post(`/api/paliadin/turns/${waiting}/cancel`)
      .set('Authorization', await b.auth(email));
    expect(cancel.body.error_code).toBe('cancelled');
    await a
      .http()
      .post(`/api/paliadin/turns/${held}/cancel`)
      .set('Authorization', await a.auth(email));
    expect(kinds((await a.read(email, next)).events).at(-1)).toBe('end');
    expect(startedAt.has(waiting)).toBe(false);
  });

  it('a turn claimed by an instance that died is ended by the janitor, which frees the session', async () => {
    const email = 'deadclaim@example.com';
    // Its database gone, C's own shutdown would retry storing its turn's end for PALIADIN_DB_RETRY_MS (30 s by default).
    const c = await startPipelineApp({
      DATABASE_URL: db.url,
      PALIADIN_QUEUE_POLL_MS: '50',
      PALIADIN_JANITOR_INTERVAL_MS: '1000000',
      PALIADIN_DB_RETRY_MS: '500',
    });
    c.backend.script = () => [{ delay: 100_000, event: { type: 'done', response: 'never' } }];
    const orphan = await c.ask(email, { user_message: 'orphan' });
    await waitUntil(() => c.backend.started.some((r) => r.turnId === orphan), 10_000, 'the orphan to run');
    const next = await a.ask(email, { user_message: 'after the orphan' });
    // C dies without a word: no more heartbeats; A's janitor ends its turn, and A's waiting turn runs.
    await c.app.get(DataSource).destroy();
    const read = await a.read(email, next, { timeoutMs: 20_000 });
    expect(kinds(read.events).at(-1)).toBe('end');
    await c.app.close().catch(() => undefined);
  });
});

/**
 * A waiting turn goes as soon as the one before it ends, here or on another instance (the end's
 * NOTIFY names it), however that end falls against its own claim.
 */
describe('one turn per agent session: no wait for the poll', () => {
  let db: { url: string; drop: () => Promise<void> };
  let p: PipelineApp;
  let q: PipelineApp;

  beforeAll(async () => {
    db = await isolatedDatabase();
    // Neither a poll nor the janitor comes within the tests: only the announcement of an end can start the next turn.
    const env = { DATABASE_URL: db.url, PALIADIN_QUEUE_POLL_MS: '10000000', PALIADIN_JANITOR_INTERVAL_MS: '1000000', PALIADIN_MAX_INFLIGHT_PER_USER: '100' };
    p = await startPipelineApp(env);
    q = await startPipelineApp(env);
  });
  afterAll(async () => {
    await p.app.close();
    await q.app.close();
    await db.drop();
  });

  it("a user's turns posted back to back, each ending at once, all run (a turn ending while the next one's claim is on its way wakes it)", async () => {
    p.backend.script = (req) => [{ event: { type: 'done', response: `answer to ${req.message}` } }];
    const email = 'back-to-back@example.com';
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) ids.push(await p.ask(email, { user_message: `b${i}` }));
    const reads = await Promise.all(ids.map((id) => p.read(email, id, { dropPings: true, timeoutMs: 20_000 })));
    expect(reads.map((r) => kinds(r.events).at(-1))).toEqual(ids.map(() => 'end'));
  });

  it("a user's turns posted alternately to two instances all run, each woken by the end of the one before on the other", async () => {
    // Long enough that all four are admitted while the first still runs.
    for (const app of [p, q]) app.backend.script = (req) => [{ delay: 500, event: { type: 'done', response: `answer to ${req.message}` } }];
    const email = 'across@example.com';
    const ids: string[] = [];
    for (const [i, app] of [p, q, p, q].entries()) ids.push(await app.ask(email, { user_message: `x${i}` }));
    const reads = await Promise.all(ids.map((id, i) => (i % 2 ? q : p).read(email, id, { dropPings: true, timeoutMs: 20_000 })));
    expect(reads.map((r) => kinds(r.events).at(-1))).toEqual(['end', 'end', 'end', 'end']);
  });
});
