import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ApiKeysService } from '../../src/auth/api-keys.service.js';
import type { Scope } from '../../src/auth/scopes.js';
import { isolatedDatabase } from '../support/isolated-database.js';
import { kinds, startPipelineApp, type PipelineApp } from '../support/pipeline-app.js';
import { OWNER_EMAIL } from '../support/test-app.js';
import { subFor, tokenFor } from '../support/tokens.js';
import { waitUntil } from '../support/wait.js';

describe('the session lifecycle API', () => {
  let db: { url: string; drop: () => Promise<void> };
  let p: PipelineApp;
  let ds: DataSource;
  const bearer = async (email: string) => `Bearer ${await tokenFor(email)}`;
  const create = async (email: string, body: object = {}) =>
    p
      .http()
      .post('/api/sessions')
      .set('Authorization', await bearer(email))
      .send(body);

  beforeAll(async () => {
    db = await isolatedDatabase();
    // An owner list makes owner@example.com the admin; the others are owners too, so they may use Paliadin.
    p = await startPipelineApp({ DATABASE_URL: db.url, PALIADIN_OWNER_EMAILS: '' });
    ds = p.app.get(DataSource);
    p.backend.script = (req) =>
      req.message === 'hold'
        ? [{ delay: 100_000, event: { type: 'done', response: 'x' } }]
        : [{ delay: 5, event: { type: 'done', response: `answer: ${req.message}` } }];
  });
  afterAll(async () => {
    await p.app.close();
    await db.drop();
  });

  it('create: 201 with the session and its instructions; the name is unique among active sessions (409 SESSION_EXISTS)', async () => {
    const res = await create('alice@example.com', { name: 'ci-bot', expires_in: '90m', workspace: 'proj-1' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: 'ci-bot',
      user_id: subFor('alice@example.com'),
      created_by: subFor('alice@example.com'),
      backend: 'scripted',
      status: 'active',
      turns: 0,
      workspace: 'proj-1',
      agent_session: expect.stringMatching(/^paliad-paliadin-[0-9a-f]{8}-ci-bot$/),
      instructions: {
        exec_url: `/api/sessions/${res.body.id}/exec`,
        events_url: `/api/sessions/${res.body.id}/events`,
        checkin_url: `/api/sessions/${res.body.id}/checkin`,
      },
    });
    const minutes = (new Date(res.body.expires_at).getTime() - new Date(res.body.created_at).getTime()) / 60_000;
    expect(minutes).toBeCloseTo(90, 0);
    const again = await create('alice@example.com', { name: 'ci-bot' });
    expect(again.status).toBe(409);
    expect(again.body).toEqual({ statusCode: 409, error: 'Conflict', code: 'SESSION_EXISTS', message: 'You already have an active session named "ci-bot"' });
    // Someone else may use the same name.
    expect((await create('bob@example.com', { name: 'ci-bot' })).status).toBe(201);
  });

  it.each([
    [{ name: 'Bad Name' }, 'name must be'],
    [{ name: 'default' }, 'name "default" is reserved'],
    [{ workspace: '../etc' }, 'workspace must be'],
    [{ workspace: 'a/b' }, 'workspace must be'],
    [{ workspace: '..' }, 'workspace must be'],
    [{ expires_in: 'soon' }, 'expires_in must be a duration like 90m, 24h or 7d'],
    [{ expires_in: '31d' }, 'expires_in cannot exceed 30 days'],
    [{ expires_in: '721h' }, 'expires_in cannot exceed 30 days'],
    [{ expires_in: '0m' }, 'expires_in must be more than 0'],
    [{ extra: 1 }, 'extra'],
  ])('bad input %j is a 400 naming the field', async (body, message) => {
    const res = await create('carol@example.com', body);
    expect(res.status).toBe(400);
    expect(res.body.message).toContain(message);
  });

  it('get and list: your own sessions; another user’s is a 404; admins see all and may filter by user', async () => {
    const mine = (await create('dave@example.com', { name: 'one' })).body;
    const other = (await create('erin@example.com', { name: 'two' })).body;
    const get = async (email: string, id: string) =>
      p
        .http()
        .get(`/api/sessions/${id}`)
        .set('Authorization', await bearer(email));
    expect((await get('dave@example.com', mine.id)).body).toMatchObject({ id: mine.id, name: 'one' });
    const foreign = await get('dave@example.com', other.id);
    expect(foreign.status).toBe(404);
    expect(foreign.body.message).toBe(`Session ${other.id} not found`);
    expect((await get('dave@example.com', 'not-a-uuid')).body).toMatchObject({ statusCode: 400, message: 'sid must be a UUID' });
    expect((await get(OWNER_EMAIL, other.id)).status).toBe(404); // not an owner in this app: PALIADIN_OWNER_EMAILS is empty

    const list = await p
      .http()
      .get('/api/sessions')
      .set('Authorization', await bearer('dave@example.com'));
    expect(list.body.sessions.map((s: { id: string }) => s.id)).toEqual([mine.id]);
    const filtered = await p
      .http()
      .get(`/api/sessions?user=${subFor('erin@example.com')}`)
      .set('Authorization', await bearer('dave@example.com'));
    expect(filtered.status).toBe(400);
    expect(filtered.body.message).toBe('user may only be given by admins');
    expect(
      (
        await p
          .http()
          .get('/api/sessions?status=sideways')
          .set('Authorization', await bearer('dave@example.com'))
      ).body.message,
    ).toContain('status must be active, ended or all');
  });

  it('exec runs a turn in the session through the turn pipeline; the default session is its own row, counted by POST /api/paliadin/turn', async () => {
    const s = (await create('frank@example.com', { name: 'worker' })).body;
    const auth = await bearer('frank@example.com');
    const exec = await p.http().post(`/api/sessions/${s.id}/exec`).set('Authorization', auth).send({ input: 'Fasse zusammen' });
    expect(exec.status).toBe(200);
    expect(exec.body).toEqual({ turn_id: expect.any(String), sse_url: `/api/paliadin/stream/${exec.body.turn_id}`, session_id: s.id });
    const read = await p.read('frank@example.com', exec.body.turn_id);
    expect(kinds(read.events)).toEqual(['meta', 'content', 'end']);
    expect(p.backend.started.find((r) => r.turnId === exec.body.turn_id)!.agentSession).toBe(s.agent_session);
    const after = (await p.http().get(`/api/sessions/${s.id}`).set('Authorization', auth)).body;
    expect(after.turns).toBe(1);

    await p.ask('frank@example.com', { user_message: 'im Chat' });
    const all = (await p.http().get('/api/sessions').set('Authorization', auth)).body.sessions as { name: string; turns: number; agent_session: string }[];
    expect(all.find((x) => x.name === 'default')).toMatchObject({ turns: 1, agent_session: expect.stringMatching(/^paliad-paliadin-[0-9a-f]{8}$/) });
    expect((await p.http().post(`/api/sessions/${s.id}/exec`).set('Authorization', auth).send({})).body.message).toContain('input');
  });

  it('checkin ends the session: its running turn is cancelled, its agent stopped; then exec, checkin and delete are 400 "session is not active"', async () => {
    const s = (await create('gina@example.com', { name: 'long' })).body;
    const auth = await bearer('gina@example.com');
    const running = (await p.http().post(`/api/sessions/${s.id}/exec`).set('Authorization', auth).send({ input: 'hold' })).body.turn_id as string;
    await waitUntil(
      async () => (await p.http().get(`/api/sessions/${s.id}`).set('Authorization', auth)).body.running_turn_id === running,
      5_000,
      'the turn to run',
    );
    const checkin = await p.http().post(`/api/sessions/${s.id}/checkin`).set('Authorization', auth);
    expect(checkin.status).toBe(200);
    expect(checkin.body).toEqual({ session_id: s.id, status: 'ended', message: expect.any(String) });
    expect((await p.read('gina@example.com', running)).events.at(-1)).toMatchObject({ event: 'error', data: { code: 'cancelled' } });
    expect(p.backend.resets).toContain(s.agent_session);
    const ended = (await p.http().get(`/api/sessions/${s.id}`).set('Authorization', auth)).body;
    expect(ended).toMatchObject({ status: 'ended', ended_at: expect.any(String) });
    expect(ended.running_turn_id).toBeUndefined();
    for (const res of [
      await p.http().post(`/api/sessions/${s.id}/exec`).set('Authorization', auth).send({ input: 'x' }),
      await p.http().post(`/api/sessions/${s.id}/checkin`).set('Authorization', auth),
    ])
      expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message: 'session is not active' });
    const events = await ds.query(`SELECT seq, kind, data->>'status' AS status FROM paliadin_session_events WHERE session_id = $1 ORDER BY seq`, [s.id]);
    expect(events).toEqual([
      { seq: 1, kind: 'session', status: 'active' },
      { seq: 2, kind: 'turn', status: null },
      { seq: 3, kind: 'session', status: 'ended' },
    ]);
  });

  it("screen: a backend without a terminal answers 409 NO_TERMINAL on both routes; another user's session is a 404; a bad sid a 400", async () => {
    const created = await create('screen-owner@example.com', { name: 'watch' });
    const sid = created.body.id as string;
    for (const path of [`/api/sessions/${sid}/screen`, `/api/sessions/${sid}/screen/stream`]) {
      const res = await p
        .http()
        .get(path)
        .set('Authorization', await bearer('screen-owner@example.com'));
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ code: 'NO_TERMINAL', message: expect.stringContaining(`GET /api/sessions/${sid}/events`) });
      expect(
        (
          await p
            .http()
            .get(path)
            .set('Authorization', await bearer('screen-other@example.com'))
        ).status,
      ).toBe(404);
    }
    const bad = await p
      .http()
      .get('/api/sessions/not-a-uuid/screen')
      .set('Authorization', await bearer('screen-owner@example.com'));
    expect(bad.status).toBe(400);
    expect(bad.body.message).toBe('sid must be a UUID');
  });

  it('reset ends the default session; the next turn starts a new one', async () => {
    const email = 'hank@example.com';
    await p.ask(email, { user_message: 'eins' });
    const first = (await ds.query(`SELECT id FROM paliadin_sessions WHERE user_id = $1 AND name = 'default' AND status = 'active'`, [subFor(email)]))[0].id;
    await p
      .http()
      .post('/api/paliadin/reset')
      .set('Authorization', await bearer(email));
    await p.ask(email, { user_message: 'zwei' });
    const rows = await ds.query(`SELECT id, status FROM paliadin_sessions WHERE user_id = $1 AND name = 'default' ORDER BY created_at`, [subFor(email)]);
    expect(rows).toEqual([
      { id: first, status: 'ended' },
      { id: expect.any(String), status: 'active' },
    ]);
  });

  describe('scopes', () => {
    let keys: ApiKeysService;
    let session: { id: string };
    const key = async (scopes: Scope[], email = 'ivy@example.com') => (await keys.create({ userId: subFor(email), email, name: 'k', scopes })).key;
    beforeAll(async () => {
      keys = p.app.get(ApiKeysService);
      session = (await create('ivy@example.com', { name: 'scoped' })).body;
    });

    /** Every route of the API with what it needs. */
    const routes = (id: string) =>
      [
        ['get', '/api/sessions', 'sessions:read'],
        ['post', '/api/sessions', 'sessions:execute'],
        ['get', `/api/sessions/${id}`, 'sessions:read'],
        ['post', `/api/sessions/${id}/exec`, 'sessions:execute'],
        ['post', `/api/sessions/${id}/checkin`, 'sessions:execute'],
        // (This backend has no terminal: an allowed caller gets 409 NO_TERMINAL, never a stream that stays open.)
        ['get', `/api/sessions/${id}/screen`, 'sessions:read'],
        ['get', `/api/sessions/${id}/screen/stream`, 'sessions:read'],
        ['delete', `/api/sessions/${id}`, 'admin'],
      ] as const;
    const call = (method: 'get' | 'post' | 'delete', path: string, auth?: string) => {
      const r = p.http()[method](path);
      if (auth) r.set('Authorization', auth);
      return method === 'post' ? r.send(path.endsWith('/exec') ? { input: 'x' } : {}) : r;
    };

    it('anonymous and bad tokens: 401 on every route', async () => {
      for (const [method, path] of routes(session.id)) {
        expect({ path, status: (await call(method, path)).status }).toEqual({ path, status: 401 });
        expect({ path, status: (await call(method, path, 'Bearer nonsense')).status }).toEqual({ path, status: 401 });
      }
    });

    it('an API key acts as its user within its scopes: 403 naming the scope it lacks', async () => {
      const dummy = randomUUID();
      for (const scope of ['sessions:read', 'sessions:execute', 'paliadin:turn'] as Scope[]) {
        const auth = `Bearer ${await key([scope])}`;
        for (const [method, path, needed] of routes(dummy)) {
          const res = await call(method, path, auth);
          if (needed === scope) expect({ path, scope, status: res.status }).not.toEqual({ path, scope, status: 403 });
          else
            expect({ path, scope, body: res.body }).toEqual({
              path,
              scope,
              body: { statusCode: 403, error: 'Forbidden', message: `This API key lacks the ${needed} scope` },
            });
        }
      }
      // A read key sees its user's session; an execute key drives it.
      const reader = `Bearer ${await key(['sessions:read'])}`;
      expect((await call('get', `/api/sessions/${session.id}`, reader)).body.id).toBe(session.id);
      const runner = `Bearer ${await key(['sessions:execute'])}`;
      const created = await call('post', '/api/sessions', runner);
      expect(created.status).toBe(201);
      expect(created.body.created_by).not.toBe(subFor('ivy@example.com'));
    });

    it("another user's token or key never reaches the session (404); DELETE is for admins only", async () => {
      const other = await bearer('mallory@example.com');
      for (const [method, path] of routes(session.id).filter(([, p]) => p !== '/api/sessions')) {
        const res = await call(method, path, other);
        expect({ path, status: res.status }).toEqual({ path, status: method === 'delete' ? 403 : 404 });
      }
      const otherKey = `Bearer ${await key(['sessions:read', 'sessions:execute'], 'mallory@example.com')}`;
      expect((await call('get', `/api/sessions/${session.id}`, otherKey)).status).toBe(404);
      // The owner of the session may not force-terminate it either; an admin key may.
      expect((await call('delete', `/api/sessions/${session.id}`, await bearer('ivy@example.com'))).body.message).toBe(
        'Only admins may force-terminate a session',
      );
      const admin = `Bearer ${await key(['admin'], 'root@example.com')}`;
      expect((await call('get', `/api/sessions/${session.id}`, admin)).status).toBe(200);
      const ivys = (await call('get', `/api/sessions?status=all&user=${subFor('ivy@example.com')}`, admin)).body.sessions as { id: string; user_id: string }[];
      expect(ivys.map((x) => x.id)).toContain(session.id);
      expect(new Set(ivys.map((x) => x.user_id))).toEqual(new Set([subFor('ivy@example.com')]));
      const killed = await call('delete', `/api/sessions/${session.id}`, admin);
      expect(killed.body).toEqual({ status: 'terminated', id: session.id, message: 'The session was force-terminated' });
      expect((await call('delete', `/api/sessions/${session.id}`, admin)).body.message).toBe('session is not active');
    });
  });
});
