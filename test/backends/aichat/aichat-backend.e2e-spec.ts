import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { jwtVerify } from 'jose';
import { DataSource } from 'typeorm';
import { AichatBackend } from '../../../src/backends/aichat/aichat.backend.js';
import { PALIADIN_BACKEND } from '../../../src/backends/backend.interface.js';
import { AppConfig } from '../../../src/config/app-config.js';
import { FakeAichat, frame, heartbeat, startAichatApp, type TurnScript } from '../../support/fake-aichat.js';
import { kinds, type TurnApp } from '../../support/pipeline-app.js';
import { readSse } from '../../support/sse-client.js';
import { startTestApp } from '../../support/test-app.js';
import { subFor, tokenFor, userToken } from '../../support/tokens.js';
import { waitUntil } from '../../support/wait.js';

const JWT_SECRET = 'aichat-jwt-secret-that-is-long-enough-1234';

const aichatApp = (fake: FakeAichat, env: Record<string, string> = {}) => startAichatApp(fake, { PALIADIN_AICHAT_JWT_SECRET: JWT_SECRET, ...env });

describe('aichat backend: turns', () => {
  const fake = new FakeAichat();
  let t: TurnApp;
  beforeAll(async () => {
    await fake.start();
    t = await aichatApp(fake);
  });
  afterAll(async () => {
    await t?.app.close();
    await fake.stop();
  });
  beforeEach(() => {
    fake.script = (body, f) => f.happy(body, `Antwort auf: ${body.message}`);
    fake.health = { status: 200, body: { ok: true, claude_reachable: true, tmux_reachable: true } };
  });

  const turn = async (email: string, body: Record<string, unknown> = { user_message: 'Hallo?' }) => {
    const turnId = await t.ask(email, body);
    const read = await t.read(email, turnId, { dropPings: true, timeoutMs: 15_000 });
    const row = (
      await t
        .http()
        .get(`/api/paliadin/turns/${turnId}`)
        .set('Authorization', await t.auth(email))
    ).body;
    return { turnId, read, row, events: read.events, last: read.events.at(-1)! };
  };

  it('the conversation id is on the turn row while the answer is still coming (late-answer recovery needs it)', async () => {
    const email = 'conv-early@example.com';
    let convId = '';
    fake.script = (body, f) => {
      convId = f.record(body).id;
      return { stream: [frame({ type: 'conversation', conversation_id: convId }), { hang: true }] };
    };
    const turnId = await t.ask(email);
    const db = t.app.get(DataSource);
    const row = async () =>
      (await db.query<Record<string, unknown>[]>(`SELECT aichat_conversation_id, finished_at FROM paliadin_turns WHERE turn_id = $1`, [turnId]))[0];
    await waitUntil(async () => (await row()).aichat_conversation_id !== null, 10_000, 'the conversation id on the row');
    expect(await row()).toEqual({ aichat_conversation_id: convId, finished_at: null });
    await t
      .http()
      .post(`/api/paliadin/turns/${turnId}/cancel`)
      .set('Authorization', await t.auth(email))
      .expect(200);
    await waitUntil(async () => (await row()).finished_at !== null, 10_000, 'the cancelled turn to end');
  });

  it("a turn's end closes its connection to aichat: after `done` (aichat keeping it open) and on a cancel", async () => {
    const email = 'closes@example.com';
    fake.script = () => ({ stream: [frame({ type: 'chunk', content: 'Ja.' }), frame({ type: 'done', response: 'Ja.' }), { hang: true }] });
    const { last } = await turn(email);
    expect(last.event).toBe('end');
    await waitUntil(() => fake.openStreams === 0, 10_000, 'the connection closed after done');

    fake.script = () => ({ stream: [frame({ type: 'chunk', content: 'Moment' }), { hang: true }] });
    const turnId = await t.ask(email);
    await waitUntil(() => fake.openStreams === 1, 10_000, 'the stream to open');
    await t
      .http()
      .post(`/api/paliadin/turns/${turnId}/cancel`)
      .set('Authorization', await t.auth(email))
      .expect(200);
    await waitUntil(() => fake.openStreams === 0, 10_000, 'the connection closed on cancel');
  });

  it('a happy stream: content deltas, meta with rows_seen coerced, end with the conversation id, all stored', async () => {
    fake.script = (body, f) =>
      f.happy(body, 'Fall 42 gehört Anna: [Fall 42](paliad:case/42)', {
        meta: { used_tools: ['paliad.cases'], rows_seen: ['42', 'x', ' 7 ', '3.5'], classifier_tag: 'case_lookup' },
      });
    const { turnId, events, row } = await turn('happy@example.com', { user_message: 'Wem gehört Fall 42?' });
    expect(kinds(events)).toEqual(['meta', 'content', 'content', 'end']);
    expect(
      events
        .filter((e) => e.event === 'content')
        .map((e) => (e.data as { delta: string }).delta)
        .join(''),
    ).toBe('Fall 42 gehört Anna: [Fall 42](paliad:case/42)');
    expect(events[1].data).toMatchObject({ streamed: true });
    const conv = [...fake.conversations.values()].find((c) => c.username === 'happy')!;
    expect(events[3].data).toEqual({
      turn_id: turnId,
      used_tools: ['paliad.cases'],
      rows_seen: [42, 7],
      chip_count: 1,
      classifier_tag: 'case_lookup',
      duration_ms: expect.any(Number),
      streamed: true,
      aichat_conversation_id: conv.id,
    });
    expect(row).toMatchObject({ response: 'Fall 42 gehört Anna: [Fall 42](paliad:case/42)', rows_seen: [42, 7], chip_count: 1, error_code: null });
    // Every call carried the bearer token; the body had the sanitised message, username and ids.
    expect(fake.requests.every((r) => r.authorization === `Bearer ${fake.token}`)).toBe(true);
    expect(fake.turnBodies().at(-1)).toMatchObject({
      persona: 'paliadin',
      username: 'happy',
      user_id: subFor('happy@example.com'),
      message: 'Wem gehört Fall 42?',
    });
  });

  it('heartbeats while aichat thinks become thinking events with upstream: true, then the chunks follow', async () => {
    fake.script = (body, f) => {
      const happy = f.happy(body, 'Endlich.') as { stream: string[] };
      return { stream: [happy.stream[0], heartbeat(5), { pauseMs: 20 }, heartbeat(10), ...happy.stream.slice(1)] };
    };
    const { events } = await turn('beat@example.com');
    expect(kinds(events)).toEqual(['meta', 'thinking', 'thinking', 'content', 'content', 'end']);
    expect(events[1].data).toEqual({ elapsed_seconds: 5, since_first: false, upstream: true });
    expect(events[2].data).toEqual({ elapsed_seconds: 10, since_first: false, upstream: true });
  });

  it('an error frame ends the turn with its mapped code', async () => {
    fake.script = () => ({
      stream: [frame({ type: 'chunk', content: 'Teil' }), frame({ type: 'error', error: { code: 'timeout', message: 'persona timed out', retryable: true } })],
    });
    const { events, last, row } = await turn('errframe@example.com');
    expect(kinds(events)).toEqual(['meta', 'content', 'error']);
    expect(last.data).toEqual({ code: 'timeout', message: 'aichat: persona timed out', retryable: true });
    expect(row.error_code).toBe('timeout');
  });

  it.each([
    ['auth_failed', 401, 'shim_auth_failed'],
    ['persona_unknown', 404, 'shim_error'],
    ['mriver_unreachable', 503, 'mriver_unreachable'],
    ['bootstrap_failed', 503, 'mriver_unreachable'],
    ['timeout', 504, 'timeout'],
    ['shim_error', 500, 'shim_error'],
    ['bad_request', 400, 'shim_error'],
    ['something_new', 500, 'shim_error'],
  ])('error envelope %s (HTTP %d) ends the turn with %s', async (code, status, ours) => {
    fake.script = () => ({ status, error: { code, message: `fake says ${code}` } });
    const { last, row } = await turn(`env-${code.replace(/_/g, '')}@example.com`);
    expect(last.event).toBe('error');
    expect(last.data).toMatchObject({ code: ours });
    expect((last.data as { message: string }).message).toBe(`aichat answered ${status} ${code}: fake says ${code}`);
    expect(row.error_code).toBe(ours);
  });

  it('a wrong bearer token is shim_auth_failed (the fake checks it)', async () => {
    const other = await aichatApp(fake, { PALIADIN_AICHAT_TOKEN: 'wrong-token' });
    try {
      fake.health = { status: 200, body: { ok: true } };
      const turnId = await other.ask('token@example.com');
      const read = await other.read('token@example.com', turnId, { dropPings: true });
      // The health probe is the first call and is refused: aichat cannot be used.
      expect(read.events.at(-1)?.data).toMatchObject({ code: 'mriver_unreachable' });
      expect((read.events.at(-1)?.data as { message: string }).message).toContain('401 auth_failed');
    } finally {
      await other.app.close();
    }
  });

  it('framing: CRLF and CR-only line endings, comment lines, unknown frame types, UTF-8 split across writes', async () => {
    const answer = 'Grüße 👋 aus dem Süden';
    const bytes = Buffer.from(frame({ type: 'chunk', content: answer }));
    const emoji = bytes.indexOf(Buffer.from('👋'));
    fake.script = (body, f) => {
      const conv = f.record(body, answer);
      return {
        stream: [
          ': a comment line\r\n\r\n',
          frame({ type: 'conversation', conversation_id: conv.id }, '\r\n'),
          frame({ type: 'something_new', x: 1 }, '\r'),
          'event: other\ndata: {"type":"chunk","content":"not ours"}\n\n',
          bytes.subarray(0, emoji + 2), // the emoji's four bytes split 2 + 2
          { pauseMs: 20 },
          bytes.subarray(emoji + 2),
          frame({ type: 'done', conversation_id: conv.id, response: answer }, '\r'),
        ],
      };
    };
    const { events, row } = await turn('framing@example.com');
    expect(kinds(events)).toEqual(['meta', 'content', 'end']);
    expect(events[1].data).toEqual({ delta: answer, streamed: true });
    expect(row.response).toBe(answer);
  });

  it('a malformed JSON frame ends the turn with upstream_error and a clear message', async () => {
    fake.script = () => ({
      stream: [frame({ type: 'chunk', content: 'ok so far' }), 'data: {"type":"chunk","content":\n\n', frame({ type: 'done', response: 'never' })],
    });
    const { events, last } = await turn('malformed@example.com');
    expect(kinds(events)).toEqual(['meta', 'content', 'error']);
    expect(last.data).toMatchObject({ code: 'upstream_error' });
    expect((last.data as { message: string }).message).toContain('malformed data frame');
  });

  it('a stream that ends without done is upstream_error', async () => {
    fake.script = () => ({ stream: [frame({ type: 'chunk', content: 'half' })] });
    const { last } = await turn('nodone@example.com');
    expect(last.data).toMatchObject({ code: 'upstream_error', message: 'aichat ended the stream without an answer' });
  });

  it('the health gate: not ok names the reason; a refused connection is mriver_unreachable; success is cached, failure is not', async () => {
    // A fresh app: its gate has no cached success yet.
    const g = await aichatApp(fake);
    try {
      const run = async (email: string) => {
        const id = await g.ask(email);
        return (await g.read(email, id, { dropPings: true })).events.at(-1)!;
      };
      fake.health = { status: 200, body: { ok: false, claude_reachable: false, tmux_reachable: true } };
      const bad = await run('gate@example.com');
      expect(bad.data).toMatchObject({ code: 'mriver_unreachable' });
      expect((bad.data as { message: string }).message).toContain('aichat reports not ok (claude_reachable=false, tmux_reachable=true)');

      fake.health = { status: 200, body: { ok: true } };
      const healthCalls = () => fake.requests.filter((r) => r.path === '/chat/health').length;
      const before = healthCalls();
      expect((await run('gate@example.com')).event).toBe('end'); // failure was not cached
      expect((await run('gate@example.com')).event).toBe('end');
      expect(healthCalls() - before).toBe(1); // the success was

      const health = await g.http().get('/health');
      expect(health.body.info.backend).toMatchObject({ kind: 'aichat', state: 'up' });
    } finally {
      await g.app.close();
    }
  });

  it('primer: sent on the first turn of a window, not on the next, again after pane_spawned and after reset', async () => {
    const email = 'primer@example.com';
    const session = 'primer-session';
    // Two earlier answered exchanges of this session exist before this app ever saw the user.
    const seed = await aichatApp(fake);
    for (const m of ['Erste Frage', 'Zweite Frage']) {
      const id = await seed.ask(email, { user_message: m, session_id: session });
      await seed.read(email, id, { dropPings: true });
    }
    await seed.app.close();

    const p = await aichatApp(fake);
    try {
      const ask = async (m: string, paneSpawned = false) => {
        fake.script = (body, f) => f.happy(body, `A: ${body.message}`, { paneSpawned });
        const id = await p.ask(email, { user_message: m, session_id: session });
        await p.read(email, id, { dropPings: true });
        return fake.turnBodies().at(-1)!;
      };
      const first = await ask('Dritte Frage');
      expect(first.primer).toEqual([
        { user: 'Erste Frage', assistant: 'Antwort auf: Erste Frage' },
        { user: 'Zweite Frage', assistant: 'Antwort auf: Zweite Frage' },
      ]);
      expect((await ask('Vierte Frage', true)).primer).toBeUndefined(); // primed; aichat now says it spawned a new pane
      const afterSpawn = await ask('Fünfte Frage');
      expect(afterSpawn.primer?.map((x) => x.user)).toEqual(['Erste Frage', 'Zweite Frage', 'Dritte Frage', 'Vierte Frage']);
      expect((await ask('Sechste Frage')).primer).toBeUndefined();
      for (const m of ['7', '8', '9']) await ask(m);

      const reset = await p
        .http()
        .post('/api/paliadin/reset')
        .set('Authorization', await p.auth(email));
      expect(reset.status).toBe(200);
      expect(fake.requests.at(-1)).toMatchObject({ method: 'POST', path: '/chat/reset', body: { persona: 'paliadin', username: 'primer' } });
      const afterReset = await ask('Nach dem Reset');
      // At most 6 exchanges, the newest, oldest first.
      expect(afterReset.primer?.map((x) => x.user)).toEqual(['Vierte Frage', 'Fünfte Frage', 'Sechste Frage', '7', '8', '9']);
    } finally {
      await p.app.close();
    }
  });

  it('primer sides are cut to 2000 characters; the selection in meta to 1000', async () => {
    const email = 'long@example.com';
    const long = 'ä'.repeat(2500);
    fake.script = (body, f) => f.happy(body, long);
    const seed = await aichatApp(fake);
    const id = await seed.ask(email, { user_message: long, session_id: 's-long' });
    await seed.read(email, id, { dropPings: true });
    await seed.app.close();
    const p = await aichatApp(fake);
    try {
      const id2 = await p.ask(email, {
        user_message: 'Und?',
        session_id: 's-long',
        page_origin: '/cases/42',
        context: {
          route_name: 'case-detail',
          primary_entity_type: 'case',
          primary_entity_id: '42',
          view_mode: 'table',
          filter_summary: 'status=open',
          user_selection_text: 'x'.repeat(1500),
        },
      });
      await p.read(email, id2, { dropPings: true });
      const body = fake.turnBodies().at(-1)!;
      expect(body.primer).toEqual([{ user: 'ä'.repeat(2000) + '…', assistant: 'ä'.repeat(2000) + '…' }]);
      expect(body.meta).toEqual({
        page_origin: '/cases/42',
        route: 'case-detail',
        entity: 'case:42',
        view: 'table',
        filter: 'status=open',
        selection: 'x'.repeat(1000) + '…',
      });
    } finally {
      await p.app.close();
    }
  });

  it('the per-turn JWT verifies with the secret (HS256), sub = user id, role = authenticated, short TTL; none without a secret', async () => {
    await turn('jwt@example.com');
    const jwt = fake.turnBodies().at(-1)!.jwt!;
    const { payload, protectedHeader } = await jwtVerify(jwt, new TextEncoder().encode(JWT_SECRET), { algorithms: ['HS256'] });
    expect(protectedHeader.alg).toBe('HS256');
    expect(payload).toMatchObject({ sub: subFor('jwt@example.com'), role: 'authenticated' });
    expect(payload.exp! - payload.iat!).toBe(300);

    const plain = await aichatApp(fake, { PALIADIN_AICHAT_JWT_SECRET: '' });
    try {
      const id = await plain.ask('nojwt@example.com');
      await plain.read('nojwt@example.com', id, { dropPings: true });
      expect(fake.turnBodies().at(-1)!.jwt).toBeUndefined();
    } finally {
      await plain.app.close();
    }
  });

  it('a per-turn JWT that cannot be signed ends the turn with jwt_mint_failed, before aichat is asked', async () => {
    class UnsignableJwt extends AichatBackend {
      protected override mintJwt(): Promise<string | undefined> {
        return Promise.reject(new Error('no key material'));
      }
    }
    const { app, url } = await startTestApp({
      env: { PALIADIN_OWNER_EMAILS: '', PALIADIN_BACKEND: 'aichat', PALIADIN_AICHAT_URL: fake.url, PALIADIN_AICHAT_TOKEN: fake.token },
      override: (b) => b.overrideProvider(PALIADIN_BACKEND).useFactory({ factory: (c: AppConfig) => new UnsignableJwt(c), inject: [AppConfig] }),
    });
    try {
      const before = fake.turnBodies().length;
      const token = await tokenFor('mint@example.com');
      const res = await fetch(`${url}/api/paliadin/turn`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: '{"user_message":"x"}',
      });
      const { turn_id } = (await res.json()) as { turn_id: string };
      const read = await readSse(url, `/api/paliadin/stream/${turn_id}`, { token, dropPings: true });
      expect(read.events.at(-1)?.data).toMatchObject({ code: 'jwt_mint_failed', message: 'The per-turn token for aichat could not be signed' });
      expect(fake.turnBodies().length).toBe(before);
    } finally {
      await app.close();
    }
  });

  it('earlier exchanges that cannot be read (no database connection in time) do not fail the turn: it goes without the primer, the next one carries it', async () => {
    const email = 'primerdb@example.com';
    const session = 'primer-db-session';
    await turn(email, { user_message: 'Erste Frage', session_id: session });
    // A fresh app (its window unprimed) whose pool is taken while the turn reads the earlier exchanges.
    const busy = await aichatApp(fake, { PALIADIN_DB_POOL_SIZE: '2', PALIADIN_DB_POOL_WAIT_MS: '200' });
    const held: { release: () => Promise<void> }[] = [];
    let released!: Promise<unknown>;
    fake.onHealth = async () => {
      fake.onHealth = undefined;
      for (let i = 0; i < 2; i++) {
        const r = busy.app.get(DataSource).createQueryRunner();
        await r.connect();
        held.push(r);
      }
      // Freed once the primer read has given up; the turn's own writes then go through.
      released = new Promise((r) => setTimeout(r, 600)).then(() => Promise.all(held.map((q) => q.release())));
    };
    try {
      const second = await busy.ask(email, { user_message: 'Zweite Frage', session_id: session });
      await waitUntil(() => released !== undefined, 10_000, 'the health gate');
      await released;
      const read = await busy.read(email, second, { dropPings: true, timeoutMs: 15_000 });
      expect(kinds(read.events).at(-1)).toBe('end');
      const bodies = fake.turnBodies();
      expect(bodies.at(-1)).toMatchObject({ message: 'Zweite Frage' });
      expect(bodies.at(-1)!.primer).toBeUndefined();
      const third = await busy.ask(email, { user_message: 'Dritte Frage', session_id: session });
      await busy.read(email, third, { dropPings: true });
      expect(
        fake
          .turnBodies()
          .at(-1)!
          .primer?.map((x) => x.user),
      ).toEqual(['Erste Frage', 'Zweite Frage']);
    } finally {
      fake.onHealth = undefined;
      await busy.app.close();
    }
  });

  it('a named session has an aichat window of its own: turns and checkin use <user>-<name>', async () => {
    const email = 'windows@example.com';
    const auth = await t.auth(email);
    const s = (await t.http().post('/api/sessions').set('Authorization', auth).send({ name: 'bot' })).body;
    const exec = (await t.http().post(`/api/sessions/${s.id}/exec`).set('Authorization', auth).send({ input: 'Hallo Bot' })).body;
    await t.read(email, exec.turn_id, { dropPings: true });
    expect(fake.turnBodies().at(-1)).toMatchObject({ username: 'windows-bot', message: 'Hallo Bot' });
    await t.read(email, await t.ask(email, { user_message: 'Hallo Chat' }), { dropPings: true });
    expect(fake.turnBodies().at(-1)).toMatchObject({ username: 'windows', message: 'Hallo Chat' });
    expect((await t.http().post(`/api/sessions/${s.id}/checkin`).set('Authorization', auth)).status).toBe(200);
    expect(fake.requests.at(-1)).toMatchObject({ method: 'POST', path: '/chat/reset', body: { persona: 'paliadin', username: 'windows-bot' } });
  });

  it('a user whose agent tag is not the start of their id (another user has that): their named session still has a window of its own', async () => {
    await t.read('tagged@example.com', await t.ask('tagged@example.com'), { dropPings: true });
    const twin = `${subFor('tagged@example.com').slice(0, 8)}${randomUUID().slice(8)}`;
    const token = await userToken({ sub: twin, email: 'tagged-twin@example.com' });
    const s = (await t.http().post('/api/sessions').set('Authorization', `Bearer ${token}`).send({ name: 'bot' })).body;
    expect(s.agent_session).toBe(`paliad-paliadin-${twin.replace(/-/g, '').slice(8, 16)}-bot`);
    const exec = (await t.http().post(`/api/sessions/${s.id}/exec`).set('Authorization', `Bearer ${token}`).send({ input: 'Hallo Zwilling' })).body;
    await readSse(t.url, `/api/paliadin/stream/${exec.turn_id}`, { token, dropPings: true });
    expect(fake.turnBodies().at(-1)).toMatchObject({ username: 'tagged-twin-bot', message: 'Hallo Zwilling' });
  });

  it('reset: aichat not confirming it is a 502 naming the problem; aichat down makes /health 503', async () => {
    fake.resetOk = false;
    try {
      const res = await t
        .http()
        .post('/api/paliadin/reset')
        .set('Authorization', await t.auth('reset@example.com'));
      expect(res.status).toBe(502);
      expect(res.body.message).toBe('The agent backend could not reset the session; try again');
    } finally {
      fake.resetOk = true;
    }
    fake.health = { status: 503, body: { error: { code: 'mriver_unreachable', message: 'no claude' } } };
    const health = await t.http().get('/health');
    expect(health.status).toBe(503);
    expect(health.body.error.backend.detail).toContain('503 mriver_unreachable: no claude');
  });

  it('messages are sanitised before they are sent', async () => {
    await turn('sanitise@example.com', { user_message: 'eins\nzwei\x1b[31m\x07 drei' });
    expect(fake.turnBodies().at(-1)!.message).toBe('eins zwei[31m drei');
  });
});

describe('aichat backend: one-shot mode', () => {
  const fake = new FakeAichat();
  let t: TurnApp;
  beforeAll(async () => {
    await fake.start();
    t = await aichatApp(fake, { PALIADIN_AICHAT_STREAM: 'false', PALIADIN_AICHAT_TIMEOUT_MS: '400' });
  });
  afterAll(async () => {
    await t?.app.close();
    await fake.stop();
  });

  it('POST /chat/turn: one content event with the whole answer, meta coerced', async () => {
    fake.script = (body, f): TurnScript => {
      const conv = f.record(body, 'Ganz.');
      return {
        json: {
          turn_id: 'x',
          response: 'Ganz. [A](paliad:a/1)',
          meta: { used_tools: ['t'], rows_seen: ['5', 'no'], classifier_tag: 'k' },
          duration_ms: 3,
          pane_spawned: false,
          conversation_id: conv.id,
        },
      };
    };
    const id = await t.ask('oneshot@example.com');
    const read = await t.read('oneshot@example.com', id, { dropPings: true });
    expect(kinds(read.events)).toEqual(['meta', 'content', 'end']);
    expect(read.events[1].data).toEqual({ text: 'Ganz. [A](paliad:a/1)' });
    expect(read.events[2].data).toMatchObject({ used_tools: ['t'], rows_seen: [5], classifier_tag: 'k', chip_count: 1 });
    expect(read.events[2].data).not.toHaveProperty('streamed');
    expect(fake.requests.some((r) => r.path === '/chat/turn')).toBe(true);
  });

  it('a one-shot call that takes longer than PALIADIN_AICHAT_TIMEOUT_MS ends with timeout', async () => {
    fake.script = () => ({ stream: [{ hang: true }] }); // answers the headers, then nothing
    const id = await t.ask('slowshot@example.com');
    const read = await t.read('slowshot@example.com', id, { dropPings: true });
    expect(read.events.at(-1)?.data).toMatchObject({ code: 'timeout' });
  });
});
