import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { TurnRunners } from '../../src/paliadin/turn-runners.js';
import { startPipelineApp, type PipelineApp } from '../support/pipeline-app.js';

describe('turn routes: validation, visibility, limits', () => {
  let p: PipelineApp;
  beforeAll(async () => {
    p = await startPipelineApp({ PALIADIN_MAX_INFLIGHT_PER_USER: '2' });
  });
  afterAll(() => p.app.close());

  const post = async (body: unknown, email = 'v@example.com') =>
    p
      .http()
      .post('/api/paliadin/turn')
      .set('Authorization', await p.auth(email))
      .send(body as object);

  it.each([
    [{}, 'user_message should not be empty'],
    [{ user_message: '   ' }, 'user_message should not be empty'],
    [{ user_message: 42 }, 'user_message must be a string'],
    [{ user_message: 'x'.repeat(16_001) }, 'user_message must be shorter than or equal to 16000 characters'],
    [{ user_message: 'hi', session_id: 's'.repeat(129) }, 'session_id must be shorter than or equal to 128 characters'],
    [{ user_message: 'hi', page_origin: 'p'.repeat(2001) }, 'page_origin must be shorter than or equal to 2000 characters'],
    [{ user_message: 'hi', context: { route_name: 'r'.repeat(2001) } }, 'context.route_name must be shorter than or equal to 2000 characters'],
    [{ user_message: 'hi', context: { evil: 'x' } }, 'property context.evil should not exist'],
    [{ user_message: 'hi', context: 'nope' }, 'context must be an object'],
    [{ user_message: 'hi', extra: 1 }, 'property extra should not exist'],
  ])('POST /turn %j -> 400 naming the field', async (body, message) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('Bad Request');
    expect(res.body.message).toContain(message);
  });

  it('accepts exactly 16,000 characters, and a missing session_id gets a fresh uuid', async () => {
    const id = (await post({ user_message: 'x'.repeat(16_000) })).body.turn_id;
    await p.read('v@example.com', id);
    const [stored] = await p.app.get(DataSource).query('SELECT session_id, length(user_message) AS len FROM paliadin_turns WHERE turn_id = $1', [id]);
    expect(stored.session_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(stored.len).toBe(16_000);
    const turn = await p
      .http()
      .get(`/api/paliadin/turns/${id}`)
      .set('Authorization', await p.auth('v@example.com'));
    expect(turn.status).toBe(200);
    expect(Object.keys(turn.body).sort()).toEqual(
      ['turn_id', 'started_at', 'finished_at', 'response', 'error_code', 'duration_ms', 'used_tools', 'rows_seen', 'chip_count', 'classifier_tag'].sort(),
    );
  });

  it('POST /turn answers 200 {turn_id, sse_url}', async () => {
    const res = await post({ user_message: 'hi' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ turn_id: expect.stringMatching(/^[0-9a-f-]{36}$/), sse_url: `/api/paliadin/stream/${res.body.turn_id}` });
    await p.read('v@example.com', res.body.turn_id);
  });

  it('context.page_origin fills an empty page_origin', async () => {
    const id = (await post({ user_message: 'hi', context: { page_origin: '/from-context' } })).body.turn_id;
    await p.read('v@example.com', id);
    const [{ session_id }] = await p.app.get(DataSource).query('SELECT session_id FROM paliadin_turns WHERE turn_id = $1', [id]);
    const history = await p
      .http()
      .get('/api/paliadin/history')
      .query({ session: session_id })
      .set('Authorization', await p.auth('v@example.com'));
    expect(history.body[0].page_origin).toBe('/from-context');
  });

  it('another user gets 404 on every route of my turn, and the stream 404s before any SSE byte', async () => {
    p.backend.script = () => [{ event: { type: 'done', response: 'secret answer' } }];
    const id = await p.ask('alice@example.com');
    await p.read('alice@example.com', id);
    const bob = await p.auth('bob@example.com');
    for (const [method, path] of [
      ['get', `/api/paliadin/turns/${id}`],
      ['get', `/api/paliadin/turns/${id}/recover`],
      ['post', `/api/paliadin/turns/${id}/cancel`],
    ] as const) {
      const res = await p.http()[method](path).set('Authorization', bob);
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
      expect(res.text).not.toContain('secret answer');
    }
    const stream = await p.read('bob@example.com', id);
    expect(stream.status).toBe(404);
    expect(stream.headers['content-type']).toMatch(/application\/json/);
    expect(stream.body).toEqual({ statusCode: 404, error: 'Not Found', message: `Turn ${id} not found` });
    const unknown = await p.read('alice@example.com', '5d7c1f1e-0000-4000-8000-000000000000');
    expect(unknown.status).toBe(404);
  });

  it('while the turn runs here (its owner checked against the run, not the table), another user still gets 404 and its owner the stream', async () => {
    // The answer would come in a minute: the turn is live on this instance throughout the test.
    p.backend.script = () => [{ event: { type: 'chunk', text: 'live secret ' } }, { delay: 60_000, event: { type: 'done', response: 'live secret' } }];
    const id = await p.ask('carol@example.com');
    expect(p.app.get(TurnRunners).get(id)).toBeDefined();
    const stranger = await p.read('dave@example.com', id);
    expect({ status: stranger.status, body: stranger.body }).toEqual({
      status: 404,
      body: { statusCode: 404, error: 'Not Found', message: `Turn ${id} not found` },
    });
    const owner = await p.read('carol@example.com', id, { stopAfterEvents: 2 });
    expect(owner.events.filter((e) => e.event === 'content').map((e) => e.data)).toEqual([expect.objectContaining({ delta: 'live secret ' })]);
    expect(p.app.get(TurnRunners).get(id)).toBeDefined();
    const cancelled = await p
      .http()
      .post(`/api/paliadin/turns/${id}/cancel`)
      .set('Authorization', await p.auth('carol@example.com'));
    expect(cancelled.status).toBe(200);
  });

  it("many readers at once (their lookups and replays share statements): each gets only their own turn's answer, strangers 404", async () => {
    p.backend.script = (req) => [{ event: { type: 'chunk', text: `for ${req.email}` } }, { event: { type: 'done', response: `answer for ${req.email}` } }];
    const owners = Array.from({ length: 12 }, (_, i) => `crowd-${i}@example.com`);
    const ids = await Promise.all(owners.map((email) => p.ask(email)));
    // Each turn read at once by its owner and by the next owner along: both kinds in the same batched statements.
    const reads = await Promise.all(
      ids.flatMap((id, i) => [
        p.read(owners[i], id).then((r) => ({ mine: true, email: owners[i], r })),
        p.read(owners[(i + 1) % owners.length], id).then((r) => ({ mine: false, email: owners[i], r })),
      ]),
    );
    for (const { mine, email, r } of reads) {
      if (mine) {
        expect({ status: r.status, content: r.events.filter((e) => e.event === 'content').map((e) => e.data) }).toEqual({
          status: 200,
          content: [expect.objectContaining({ delta: `for ${email}` })],
        });
      } else {
        expect({ status: r.status, events: r.events.length }).toEqual({ status: 404, events: 0 });
      }
    }
  });

  it('400 for an invalid uuid on every turn route, and for a bad Last-Event-ID', async () => {
    const auth = await p.auth('v@example.com');
    for (const [method, path] of [
      ['get', '/api/paliadin/turns/not-a-uuid'],
      ['get', '/api/paliadin/turns/not-a-uuid/recover'],
      ['post', '/api/paliadin/turns/not-a-uuid/cancel'],
      ['get', '/api/paliadin/stream/not-a-uuid'],
    ] as const) {
      const res = await p.http()[method](path).set('Authorization', auth);
      expect({ path, status: res.status, message: res.body.message }).toEqual({ path, status: 400, message: 'id must be a UUID' });
    }
    const id = await p.ask('v@example.com');
    const bad = await p.read('v@example.com', id, { lastEventId: 'abc' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ message: 'Last-Event-ID must be a non-negative integer' });
  });

  it('history: my turns of one session, oldest first, limit default 50, capped at 200, 400 on junk', async () => {
    p.backend.script = () => [{ event: { type: 'done', response: 'ok' } }];
    const email = 'hist@example.com';
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const id = await p.ask(email, { user_message: `q${i}`, session_id: 'hist-session' });
      await p.read(email, id);
      ids.push(id);
    }
    await p.read('other@example.com', await p.ask('other@example.com', { user_message: 'not mine', session_id: 'hist-session' }));
    await p.read(email, await p.ask(email, { user_message: 'other session', session_id: 'elsewhere' }));
    const auth = await p.auth(email);
    const all = await p.http().get('/api/paliadin/history').query({ session: 'hist-session' }).set('Authorization', auth);
    expect(all.status).toBe(200);
    expect(all.body.map((r: { turn_id: string }) => r.turn_id)).toEqual(ids);
    expect(all.body.map((r: { user_message: string }) => r.user_message)).toEqual(['q0', 'q1', 'q2']);
    expect(all.body[0]).toMatchObject({ session_id: 'hist-session', backend: 'scripted', response: 'ok', user_id: expect.any(String), page_origin: null });
    const two = await p.http().get('/api/paliadin/history').query({ session: 'hist-session', limit: '2' }).set('Authorization', auth);
    expect(two.body.map((r: { turn_id: string }) => r.turn_id)).toEqual(ids.slice(1));
    expect((await p.http().get('/api/paliadin/history').query({ session: 'hist-session', limit: '5000' }).set('Authorization', auth)).status).toBe(200);
    expect((await p.http().get('/api/paliadin/history').set('Authorization', auth)).body).toEqual([]);
    for (const limit of ['0', 'abc', '-1', '1.5']) {
      const res = await p.http().get('/api/paliadin/history').query({ session: 'x', limit }).set('Authorization', auth);
      expect({ limit, status: res.status }).toEqual({ limit, status: 400 });
      expect(res.body.message).toMatch(/limit/);
    }
  });

  it('429 beyond the per-user in-flight cap, with a clear message; others are unaffected', async () => {
    p.backend.script = () => [{ delay: 100_000, event: { type: 'done', response: 'slow' } }];
    const email = 'busy@example.com';
    const first = await p.ask(email);
    const second = await p.ask(email);
    const third = await post({ user_message: 'one more' }, email);
    expect(third.status).toBe(429);
    expect(third.body).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: 'You already have 2 turns running (the limit is 2); wait for one to finish',
    });
    expect((await post({ user_message: 'me too' }, 'someone-else@example.com')).status).toBe(200);
    await p
      .http()
      .post(`/api/paliadin/turns/${first}/cancel`)
      .set('Authorization', await p.auth(email));
    expect((await post({ user_message: 'now' }, email)).status).toBe(200);
    await p
      .http()
      .post(`/api/paliadin/turns/${second}/cancel`)
      .set('Authorization', await p.auth(email));
  });

  it('parallel POSTs cannot slip past the cap', async () => {
    p.backend.script = () => [{ delay: 100_000, event: { type: 'done', response: 'slow' } }];
    const email = 'racer@example.com';
    const results = await Promise.all(Array.from({ length: 6 }, () => post({ user_message: 'go' }, email)));
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 429, 429, 429, 429]);
  });

  it('reset asks the backend to end my agent session; a backend failure is a 502 without internals', async () => {
    const auth = await p.auth('reset@example.com');
    const ok = await p.http().post('/api/paliadin/reset').set('Authorization', auth);
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ ok: true });
    expect(p.backend.resets.at(-1)).toMatch(/^paliad-paliadin-[0-9a-f]{8}$/);
    p.backend.resetFails = true;
    const bad = await p.http().post('/api/paliadin/reset').set('Authorization', auth);
    p.backend.resetFails = false;
    expect(bad.status).toBe(502);
    expect(bad.body.message).toBe('The agent backend could not reset the session; try again');
  });

  it('recover: recovered with an answer, pending while running', async () => {
    p.backend.script = () => [{ event: { type: 'done', response: 'here' } }];
    const done = await p.ask('rec@example.com');
    await p.read('rec@example.com', done);
    const auth = await p.auth('rec@example.com');
    expect((await p.http().get(`/api/paliadin/turns/${done}/recover`).set('Authorization', auth)).body).toMatchObject({
      recovery_state: 'recovered',
      response: 'here',
    });
    p.backend.script = () => [{ delay: 100_000, event: { type: 'done', response: 'slow' } }];
    const running = await p.ask('rec@example.com');
    expect((await p.http().get(`/api/paliadin/turns/${running}/recover`).set('Authorization', auth)).body).toMatchObject({
      recovery_state: 'pending',
      response: null,
    });
    await p.http().post(`/api/paliadin/turns/${running}/cancel`).set('Authorization', auth);
  });
});
