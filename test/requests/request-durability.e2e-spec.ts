import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { ApiKeysService } from '../../src/auth/api-keys.service.js';
import { agentSessionName, firstAgentTag } from '../../src/contract/agent-session.js';
import { postTurn, startInstance, stopApps } from '../support/app-process.js';
import { byMarker, conversationOf, startStreamJsonAgent, type MarkedAnswers, type StreamJsonAgentFixture } from '../support/claude-agent.js';
import { kinds, startBackendApp, type TurnApp } from '../support/pipeline-app.js';
import { descendants, killAll, running } from '../support/process.js';
import { answerRequest, requestIdOf, resolvedOf } from '../support/requests.js';
import { readSse } from '../support/sse-client.js';
import { subFor, tokenFor } from '../support/tokens.js';
import { waitUntil } from '../support/wait.js';
import { isolatedDatabase } from '../support/isolated-database.js';

const IDA = 'dur-ida@example.com';
const JON = 'dur-jon@example.com';
const KIM = 'dur-kim@example.com';
const LEO = 'dur-leo@example.com';

const answers: MarkedAnswers = new Map();
const conversation = conversationOf;
const ASK = { PALIADIN_AGENT_ASK: 'Write', PALIADIN_THINKING_INTERVAL_MS: '300', PALIADIN_JANITOR_INTERVAL_MS: '100' };

/**
 * Requests are rows before anyone sees them, answerable from any instance:
 * two instances on one Postgres (A runs the turns, B is another gateway),
 * and one run as its own process to be killed.
 */
describe('requests are durable and any instance answers them (real Claude Code, stream-json)', () => {
  let agent: StreamJsonAgentFixture;
  let a: TurnApp;
  let b: TurnApp;
  // A database of their own: the metrics below count every open request there.
  let db: Awaited<ReturnType<typeof isolatedDatabase>>;
  beforeAll(async () => {
    db = await isolatedDatabase();
    agent = await startStreamJsonAgent(byMarker(answers));
    answers.set('write-file', (req) => {
      if (req.afterToolResult) return { text: 'Fertig.' };
      const name = req.userMessage.split(' ')[1];
      return { tools: [{ name: 'Write', input: { file_path: path.join(agent.workspaces, name), content: name } }] };
    });
    a = await startBackendApp({ ...agent.env, ...ASK, DATABASE_URL: db.url, PALIADIN_AGENT_ALLOW: `Edit(/${agent.workspaces}/**)` });
    b = await startBackendApp({ ...agent.env, ...ASK, DATABASE_URL: db.url });
  });

  afterAll(async () => {
    await stopApps();
    await a?.app.close();
    await b?.app.close();
    await agent?.stop();
    await db?.drop();
  });

  /** Reads the turn until its permission request shows, then drops the connection; the events it got. */
  async function readUntilRequest(app: TurnApp, email: string, turnId: string, lastEventId?: string) {
    const stop = new AbortController();
    const read = await app.read(email, turnId, {
      dropPings: true,
      timeoutMs: 40_000,
      lastEventId,
      signal: stop.signal,
      onEvent: (ev) => ev.event === 'permission' && stop.abort(),
    });
    return read.events;
  }

  it('a client that drops while a request is open reconnects with Last-Event-ID, sees the request and answers it', async () => {
    const turnId = await a.ask(IDA, { user_message: 'write-file ida.md' });
    const before = await readUntilRequest(a, IDA, turnId);
    const permission = before.at(-1)!;
    expect(permission.event).toBe('permission');
    // The connection dropped just before the request reached the client: it resumes from the event before.
    const resumed = before.at(-2)!.id!;
    const listed = await a
      .http()
      .get(`/api/paliadin/turns/${turnId}/requests`)
      .set('Authorization', await a.auth(IDA));
    expect(listed.body.requests).toEqual([expect.objectContaining({ request_id: requestIdOf(permission), status: 'open', kind: 'permission' })]);
    let answered: Promise<unknown> | undefined;
    const rest = await a.read(IDA, turnId, {
      dropPings: true,
      timeoutMs: 40_000,
      lastEventId: resumed,
      onEvent: (ev) => {
        if (ev.event === 'permission') answered = answerRequest(a, IDA, turnId, requestIdOf(ev), { decision: 'allow_once' });
      },
    });
    expect(((await answered) as { status: number }).status).toBe(200);
    expect(rest.events[0]).toEqual(permission);
    expect(kinds(rest.events).at(-1)).toBe('end');
    expect(readFileSync(path.join(agent.workspaces, 'ida.md'), 'utf8')).toBe('ida.md');
  });

  it('an answer posted to the other instance reaches the agent on the one running the turn', async () => {
    const turnId = await a.ask(JON, { user_message: 'write-file jon.md' });
    const [permission] = (await readUntilRequest(b, JON, turnId)).filter((e) => e.event === 'permission');
    const res = await answerRequest(b, JON, turnId, requestIdOf(permission), { decision: 'allow_once' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ request_id: requestIdOf(permission), status: 'resolved', by: 'user', outcome: { decision: 'allow_once' } });
    const read = await b.read(JON, turnId, { dropPings: true, timeoutMs: 40_000 });
    expect(kinds(read.events).at(-1)).toBe('end');
    expect(readFileSync(path.join(agent.workspaces, 'jon.md'), 'utf8')).toBe('jon.md');
  });

  it('the same answer again is a 200; a different one a 409 REQUEST_RESOLVED with the stored outcome; unknown or foreign requests are 404', async () => {
    const turnId = await a.ask(KIM, { user_message: 'write-file kim.md' });
    const [permission] = (await readUntilRequest(a, KIM, turnId)).filter((e) => e.event === 'permission');
    const id = requestIdOf(permission);
    // Another user, an unknown id, and this request under another turn: all the same 404.
    const foreign = await answerRequest(a, LEO, turnId, id, { decision: 'deny' });
    expect(foreign.status).toBe(404);
    expect((await answerRequest(a, KIM, turnId, '00000000-0000-4000-8000-000000000000', { decision: 'deny' })).status).toBe(404);
    expect((await answerRequest(a, KIM, '00000000-0000-4000-8000-000000000000', id, { decision: 'deny' })).body).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: `Request ${id} not found`,
    });
    expect(
      (
        await a
          .http()
          .get(`/api/paliadin/turns/${turnId}/requests`)
          .set('Authorization', await a.auth(LEO))
      ).status,
    ).toBe(404);
    // An answer that does not fit: 400, and the request stays open.
    const misfit = await answerRequest(a, KIM, turnId, id, { answers: { x: 'y' } });
    expect(misfit.status).toBe(400);
    expect(misfit.body.message).toBe('answers does not belong in the answer to a permission request (it takes decision and message)');

    const first = await answerRequest(a, KIM, turnId, id, { decision: 'deny', message: 'Nein.' });
    expect(first.status).toBe(200);
    const again = await answerRequest(b, KIM, turnId, id, { decision: 'deny', message: 'Nein.' });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    const other = await answerRequest(b, KIM, turnId, id, { decision: 'allow_once' });
    expect(other.status).toBe(409);
    expect(other.body).toMatchObject({ statusCode: 409, error: 'Conflict', code: 'REQUEST_RESOLVED', request: first.body });
    const read = await a.read(KIM, turnId, { dropPings: true, timeoutMs: 40_000 });
    expect(resolvedOf(read.events)).toHaveLength(1);
    expect(existsSync(path.join(agent.workspaces, 'kim.md'))).toBe(false);
  });

  it('two different answers at once, on two instances: exactly one wins, and both callers learn which', async () => {
    for (let round = 0; round < 3; round++) {
      const turnId = await a.ask(KIM, { user_message: `write-file race${round}.md` });
      const [permission] = (await readUntilRequest(a, KIM, turnId)).filter((e) => e.event === 'permission');
      const id = requestIdOf(permission);
      const [x, y] = await Promise.all([
        answerRequest(a, KIM, turnId, id, { decision: 'allow_once' }),
        answerRequest(b, KIM, turnId, id, { decision: 'deny', message: 'race' }),
      ]);
      expect([x.status, y.status].sort()).toEqual([200, 409]);
      const winner = x.status === 200 ? x.body : y.body;
      const loser = x.status === 409 ? x.body : y.body;
      expect(loser.request).toEqual(winner);
      const read = await a.read(KIM, turnId, { dropPings: true, timeoutMs: 40_000 });
      expect(resolvedOf(read.events)).toEqual([expect.objectContaining({ outcome: winner.outcome })]);
      expect(existsSync(path.join(agent.workspaces, `race${round}.md`))).toBe((winner.outcome as { decision: string }).decision === 'allow_once');
    }
  });

  it('cancel resolves the open request by cancel', async () => {
    const turnId = await a.ask(LEO, { user_message: 'write-file leo.md' });
    await readUntilRequest(a, LEO, turnId);
    const res = await b
      .http()
      .post(`/api/paliadin/turns/${turnId}/cancel`)
      .set('Authorization', await b.auth(LEO));
    expect(res.body.error_code).toBe('cancelled');
    const read = await a.read(LEO, turnId, { dropPings: true, timeoutMs: 40_000 });
    expect(kinds(read.events).slice(-2)).toEqual(['resolved', 'error']);
    expect(resolvedOf(read.events)[0]).toMatchObject({ by: 'cancel', outcome: { decision: 'deny' } });
    const listed = await a
      .http()
      .get(`/api/paliadin/turns/${turnId}/requests`)
      .set('Authorization', await a.auth(LEO));
    expect(listed.body.requests[0]).toMatchObject({ status: 'resolved', by: 'cancel' });
    expect(existsSync(path.join(agent.workspaces, 'leo.md'))).toBe(false);
  });
  it("a session's open requests for a bot watching many turns; keys answer within their scopes, and are named as who answered", async () => {
    const turnId = await a.ask(JON, { user_message: 'write-file key.md' });
    const [permission] = (await readUntilRequest(a, JON, turnId)).filter((e) => e.event === 'permission');
    const id = requestIdOf(permission);
    const sessions = (
      await a
        .http()
        .get('/api/sessions?status=active')
        .set('Authorization', await a.auth(JON))
    ).body.sessions as { id: string; name: string }[];
    const sid = sessions.find((x) => x.name === 'default')!.id;
    const keys = a.app.get(ApiKeysService);
    const bearer = async (scopes: ('paliadin:read' | 'paliadin:turn' | 'sessions:read' | 'sessions:execute')[]) =>
      `Bearer ${(await keys.create({ userId: subFor(JON), email: JON, name: scopes.join('+'), scopes })).key}`;
    const reader = await bearer(['sessions:read']);
    const open = await b.http().get(`/api/sessions/${sid}/requests`).set('Authorization', reader);
    expect(open.status).toBe(200);
    expect(open.body.requests).toEqual([expect.objectContaining({ request_id: id, turn_id: turnId, session_id: sid, status: 'open', kind: 'permission' })]);
    expect((await b.http().get(`/api/sessions/${sid}/requests?status=maybe`).set('Authorization', reader)).status).toBe(400);
    expect(
      (
        await b
          .http()
          .get(`/api/sessions/${sid}/requests`)
          .set('Authorization', await b.auth(KIM))
      ).status,
    ).toBe(404);
    // Reading is not answering.
    const refused = await b.http().post(`/api/paliadin/turns/${turnId}/requests/${id}`).set('Authorization', reader).send({ decision: 'allow_once' });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toBe('This API key lacks the paliadin:turn or sessions:execute scope');
    expect(
      (
        await b
          .http()
          .get(`/api/paliadin/turns/${turnId}/requests`)
          .set('Authorization', await bearer(['paliadin:turn']))
      ).status,
    ).toBe(403);
    const answered = await b
      .http()
      .post(`/api/paliadin/turns/${turnId}/requests/${id}`)
      .set('Authorization', await bearer(['sessions:execute']))
      .send({ decision: 'allow_once' });
    expect(answered.status).toBe(200);
    expect(answered.body).toMatchObject({ status: 'resolved', by: 'api_key', outcome: { decision: 'allow_once' } });
    await a.read(JON, turnId, { dropPings: true, timeoutMs: 40_000 });
    const all = await b.http().get(`/api/sessions/${sid}/requests?status=all`).set('Authorization', reader);
    expect(all.body.requests.map((r: { request_id: string }) => r.request_id)).toContain(id);
    expect((await b.http().get(`/api/sessions/${sid}/requests`).set('Authorization', reader)).body.requests).toEqual([]);
  });

  it('metrics: requests by kind and outcome, the time from request to answer, and the open ones of all instances', async () => {
    const turnId = await a.ask(IDA, { user_message: 'write-file metrics.md' });
    await readUntilRequest(a, IDA, turnId);
    const { key } = await a.app.get(ApiKeysService).create({ userId: subFor(IDA), email: IDA, name: 'scraper', scopes: ['admin'] });
    const scrape = async (app: TurnApp) => (await app.http().get('/metrics').set('Authorization', `Bearer ${key}`)).text;
    const value = (text: string, series: string) => Number(new RegExp(`^${series.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
    // The open request is counted on every instance (read from the database).
    expect(value(await scrape(b), 'paliadin_requests_open{kind="permission"}')).toBe(1);
    const before = await scrape(a);
    const allowed = value(before, 'paliadin_requests_resolved_total{kind="permission",outcome="allow_once"}') || 0;
    const waited = value(before, 'paliadin_request_wait_seconds_count{kind="permission",by="user"}') || 0;
    // Answered through A: counted where the resolution was written.
    const [request] = (
      await a
        .http()
        .get(`/api/paliadin/turns/${turnId}/requests`)
        .set('Authorization', await a.auth(IDA))
    ).body.requests;
    expect((await answerRequest(a, IDA, turnId, request.request_id as string, { decision: 'allow_once' })).status).toBe(200);
    const after = await scrape(a);
    expect(value(after, 'paliadin_requests_created_total{kind="permission"}')).toBeGreaterThanOrEqual(8);
    expect(value(after, 'paliadin_requests_resolved_total{kind="permission",outcome="allow_once"}')).toBe(allowed + 1);
    expect(value(after, 'paliadin_requests_resolved_total{kind="permission",outcome="cancel"}')).toBeGreaterThanOrEqual(1);
    expect(value(after, 'paliadin_request_wait_seconds_count{kind="permission",by="user"}')).toBe(waited + 1);
    expect(value(after, 'paliadin_requests_open{kind="permission"}')).toBe(0);
    await a.read(IDA, turnId, { dropPings: true, timeoutMs: 40_000 });
  });
});

describe('the instance running a turn dies (SIGKILL) while its request is open', () => {
  let agent: StreamJsonAgentFixture;
  let b: TurnApp;
  const MIA = 'dur-mia@example.com';

  beforeAll(async () => {
    agent = await startStreamJsonAgent((req) => {
      if (req.userMessage.includes('write-file') && !req.afterToolResult) {
        return { tools: [{ name: 'Write', input: { file_path: path.join(agent.workspaces, 'mia.md'), content: 'x' } }] };
      }
      return undefined;
    });
    b = await startBackendApp({ ...agent.env, ...ASK });
  });

  afterAll(async () => {
    await stopApps();
    await b?.app.close();
    await agent?.stop();
  });

  it('the turn ends interrupted, its request resolves by interrupted, and the next turn resumes the conversation elsewhere', async () => {
    const { child, url } = await startInstance({ ...agent.env, ...ASK });
    const token = await tokenFor(MIA);
    const post = (message: string) => postTurn(url, MIA, { user_message: message });
    const first = await post('remember the word Kiwi');
    expect(kinds((await readSse(url, `/api/paliadin/stream/${first}`, { token, dropPings: true, timeoutMs: 40_000 })).events).at(-1)).toBe('end');
    // Claude Code writes its transcript a moment after a turn: what is resumed is what reached the disk.
    const [{ id }] = await b.app
      .get(DataSource)
      .query(`SELECT agent_session_id AS id FROM paliadin_sessions WHERE agent_session = $1 AND status = 'active'`, [
        agentSessionName(agent.env.PALIADIN_SESSION_PREFIX, firstAgentTag(subFor(MIA))),
      ]);
    const projects = path.join(agent.home, '.claude', 'projects');
    const transcript = () =>
      readdirSync(projects)
        .map((d) => path.join(projects, d, `${id as string}.jsonl`))
        .filter((f) => existsSync(f))
        .map((f) => readFileSync(f, 'utf8'))
        .join('');
    await waitUntil(() => transcript().includes('Kiwi'), 10_000, 'the transcript on disk');

    const turnId = await post('write-file mia.md');
    const stop = new AbortController();
    const seen = await readSse(url, `/api/paliadin/stream/${turnId}`, {
      token,
      dropPings: true,
      timeoutMs: 40_000,
      signal: stop.signal,
      onEvent: (ev) => ev.event === 'permission' && stop.abort(),
    });
    const permission = seen.events.at(-1)!;
    expect(permission.event).toBe('permission');
    // The instance dies as a machine does: the gateway and the agent it ran, at once.
    const pids = [child.pid!, ...descendants(child.pid!)];
    killAll(pids);
    await waitUntil(() => pids.every((pid) => !running(pid)), 10_000, 'the instance and its agent to be gone');

    const read = await b.read(MIA, turnId, { dropPings: true, timeoutMs: 30_000, lastEventId: permission.id });
    // The janitor ends the dead instance's turn, its open request resolved first, in the same statement.
    expect(kinds(read.events).slice(-2)).toEqual(['resolved', 'error']);
    expect(read.events.at(-2)).toMatchObject({ data: { request_id: requestIdOf(permission), kind: 'permission', by: 'interrupted' } });
    expect(read.events.at(-1)).toMatchObject({ event: 'error', data: { code: 'interrupted', retryable: true } });
    await waitUntil(
      async () =>
        (
          await b
            .http()
            .get(`/api/paliadin/turns/${turnId}/requests`)
            .set('Authorization', await b.auth(MIA))
        ).body.requests[0]?.status === 'resolved',
      10_000,
      'the request resolved',
    );
    const [request] = (
      await b
        .http()
        .get(`/api/paliadin/turns/${turnId}/requests`)
        .set('Authorization', await b.auth(MIA))
    ).body.requests;
    expect(request).toMatchObject({ request_id: requestIdOf(permission), by: 'interrupted', outcome: { decision: 'deny' } });
    // An answer now is too late: the stored outcome stands.
    const late = await answerRequest(b, MIA, turnId, request.request_id as string, { decision: 'allow_once' });
    expect(late.status).toBe(409);
    expect(existsSync(path.join(agent.workspaces, 'mia.md'))).toBe(false);

    const next = await b.ask(MIA, { user_message: 'what was the word?' });
    expect(kinds((await b.read(MIA, next, { dropPings: true, timeoutMs: 40_000 })).events).at(-1)).toBe('end');
    expect(conversation(agent.turns().at(-1)!)).toContain('remember the word Kiwi');
  });
});
