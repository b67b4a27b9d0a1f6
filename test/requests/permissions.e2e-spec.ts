import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { agentSessionName, firstAgentTag } from '../../src/contract/agent-session.js';
import { byMarker, conversationOf, startStreamJsonAgent, type MarkedAnswers, type StreamJsonAgentFixture } from '../support/claude-agent.js';
import { kinds, startBackendApp, type TurnApp } from '../support/pipeline-app.js';
import { answerRequest, requestIdOf, resolvedOf } from '../support/requests.js';
import type { SseEvent } from '../support/sse-client.js';
import { subFor } from '../support/tokens.js';
import { ApiKeysService } from '../../src/auth/api-keys.service.js';
import { DataSource } from 'typeorm';

const ALICE = 'ask-alice@example.com';
const BOB = 'ask-bob@example.com';
const CAROL = 'ask-carol@example.com';
const DAVE = 'ask-dave@example.com';
const ASK_ENV: Record<string, string> = {
  PALIADIN_AGENT_ASK: 'Write',
  PALIADIN_AGENT_DENY: 'Edit({workspace}/secret/**)',
  PALIADIN_THINKING_INTERVAL_MS: '200',
};

/** What the scripted model does per message marker. */
const answers: MarkedAnswers = new Map();
const conversation = conversationOf;

describe('permission requests: the real Claude Code asks, the caller answers (stream-json)', () => {
  let agent: StreamJsonAgentFixture;
  let t: TurnApp;
  const workspace = (email: string) => path.join(agent.workspaces, agentSessionName(agent.env.PALIADIN_SESSION_PREFIX, firstAgentTag(subFor(email))));

  beforeAll(async () => {
    agent = await startStreamJsonAgent(byMarker(answers));
    ASK_ENV.PALIADIN_WORKSPACES_DIR = path.join(path.dirname(agent.workspaces), 'named');
    t = await startBackendApp({ ...agent.env, ...ASK_ENV });
  });

  afterAll(async () => {
    await t?.app.close();
    await agent?.stop();
  });

  /** Asks (in the default session, or through a named one's exec), and answers the first request of the turn with `body` once it shows. */
  async function askAndAnswer(email: string, message: string, body: Record<string, unknown>, session?: string) {
    const turnId = session
      ? ((
          await t
            .http()
            .post(`/api/sessions/${session}/exec`)
            .set('Authorization', await t.auth(email))
            .send({ input: message })
        ).body.turn_id as string)
      : await t.ask(email, { user_message: message });
    let answered: Promise<unknown> | undefined;
    const read = await t.read(email, turnId, {
      dropPings: true,
      timeoutMs: 40_000,
      onEvent: (ev: SseEvent) => {
        if (ev.event === 'permission' && !answered) answered = answerRequest(t, email, turnId, requestIdOf(ev), body);
      },
    });
    return { turnId, events: read.events, answer: (await answered) as { status: number; body: Record<string, unknown> } | undefined };
  }

  it('allow_once: the turn shows the request, waits, the tool runs, the answer streams on; the next identical call asks again', async () => {
    const file = path.join(workspace(ALICE), 'notiz.md');
    answers.set('write-once', (req) =>
      req.afterToolResult ? { text: 'Geschrieben.' } : { tools: [{ name: 'Write', input: { file_path: file, content: 'Hallo' } }] },
    );
    const { turnId, events, answer } = await askAndAnswer(ALICE, 'write-once', { decision: 'allow_once' });
    expect(answer?.status).toBe(200);
    const permission = events.find((e) => e.event === 'permission')!;
    expect(permission.data).toMatchObject({
      tool: 'Write',
      input_summary: 'notiz.md',
      input: { file_path: file, content: 'Hallo' },
      options: ['allow_once', 'allow_always', 'deny'],
    });
    expect(resolvedOf(events)).toEqual([
      expect.objectContaining({ request_id: requestIdOf(permission), kind: 'permission', outcome: { decision: 'allow_once' }, by: 'user' }),
    ]);
    expect(kinds(events).at(-1)).toBe('end');
    expect(readFileSync(file, 'utf8')).toBe('Hallo');
    expect(events.find((e) => e.event === 'tool' && (e.data as { status: string }).status !== 'started')?.data).toMatchObject({
      name: 'Write',
      status: 'done',
    });

    const rows = await t
      .http()
      .get(`/api/paliadin/turns/${turnId}/requests`)
      .set('Authorization', await t.auth(ALICE));
    expect(rows.status).toBe(200);
    expect(rows.body.requests).toEqual([
      expect.objectContaining({ request_id: requestIdOf(permission), status: 'resolved', by: 'user', outcome: { decision: 'allow_once' } }),
    ]);

    const again = await askAndAnswer(ALICE, 'write-once', { decision: 'deny' });
    expect(again.events.filter((e) => e.event === 'permission')).toHaveLength(1);
  });

  it('deny with a message: the tool does not run, the model receives the message, the turn goes on', async () => {
    const file = path.join(workspace(ALICE), 'verboten.md');
    answers.set('write-denied', (req) =>
      req.afterToolResult ? { text: 'Verstanden, nicht geschrieben.' } : { tools: [{ name: 'Write', input: { file_path: file, content: 'x' } }] },
    );
    const { events } = await askAndAnswer(ALICE, 'write-denied', { decision: 'deny', message: 'Bitte nicht in diese Datei.' });
    expect(existsSync(file)).toBe(false);
    expect(resolvedOf(events)[0]).toMatchObject({ outcome: { decision: 'deny', message: 'Bitte nicht in diese Datei.' }, by: 'user' });
    expect(kinds(events).at(-1)).toBe('end');
    const followUp = agent.model.requests.filter((r) => r.afterToolResult && conversation(r).includes('write-denied')).at(-1)!;
    expect(JSON.stringify(followUp.body.messages!.at(-1))).toContain('Bitte nicht in diese Datei.');
  });

  it('allow_always: the rule is granted on the session, later calls under it do not ask, also after a restart; never beyond PALIADIN_AGENT_TOOLS', async () => {
    const ws = workspace(BOB);
    answers.set('write-always', (req) =>
      req.afterToolResult
        ? { text: 'Erledigt.' }
        : { tools: [{ name: 'Write', input: { file_path: path.join(ws, `${req.userMessage.split(' ')[1]}.md`), content: 'x' } }] },
    );
    const first = await askAndAnswer(BOB, 'write-always eins', { decision: 'allow_always' });
    expect(resolvedOf(first.events)[0]).toMatchObject({ outcome: { decision: 'allow_always' }, by: 'user' });
    const [session] = (
      await t
        .http()
        .get('/api/sessions')
        .set('Authorization', await t.auth(BOB))
    ).body.sessions;
    expect(session.grants).toEqual(['Write']);

    const second = await askAndAnswer(BOB, 'write-always zwei', { decision: 'deny' });
    expect(second.answer).toBeUndefined();
    expect(kinds(second.events)).not.toContain('permission');
    expect(readFileSync(path.join(ws, 'zwei.md'), 'utf8')).toBe('x');

    // A restart of the gateway: the grant is on the session's row, not in a process.
    await t.app.close();
    t = await startBackendApp({ ...agent.env, ...ASK_ENV });
    const third = await askAndAnswer(BOB, 'write-always drei', { decision: 'deny' });
    expect(kinds(third.events)).not.toContain('permission');
    expect(readFileSync(path.join(ws, 'drei.md'), 'utf8')).toBe('x');

    // The deployment takes Write away: the grant stored before gives it back to no one.
    const narrow = await startBackendApp({ ...agent.env, ...ASK_ENV, PALIADIN_AGENT_TOOLS: 'Read,Glob,Grep,Edit' });
    try {
      await t.app.close(); // its agent for BOB must not answer this turn
      const turnId = await narrow.ask(BOB, { user_message: 'write-always vier' });
      const read = await narrow.read(BOB, turnId, { dropPings: true, timeoutMs: 40_000 });
      expect(kinds(read.events)).not.toContain('permission');
      expect(read.events.filter((e) => e.event === 'tool').at(-1)?.data).toMatchObject({ name: 'Write', status: 'error' });
      expect(existsSync(path.join(ws, 'vier.md'))).toBe(false);
    } finally {
      await narrow.app.close();
      t = await startBackendApp({ ...agent.env, ...ASK_ENV });
    }
  });

  it('PALIADIN_AGENT_DENY refuses without asking, before any ask rule', async () => {
    const file = path.join(workspace(ALICE), 'secret', 'plan.md');
    answers.set('write-secret', (req) =>
      req.afterToolResult ? { text: 'Nicht erlaubt.' } : { tools: [{ name: 'Write', input: { file_path: file, content: 'x' } }] },
    );
    const turnId = await t.ask(ALICE, { user_message: 'write-secret' });
    const read = await t.read(ALICE, turnId, { dropPings: true, timeoutMs: 40_000 });
    expect(kinds(read.events)).not.toContain('permission');
    expect(kinds(read.events).at(-1)).toBe('end');
    expect(existsSync(file)).toBe(false);
  });

  it("a named session adds ask and deny rules at creation; a pattern rule's allow_always grants that pattern", async () => {
    const auth = await t.auth(CAROL);
    const created = await t
      .http()
      .post('/api/sessions')
      .set('Authorization', auth)
      .send({ name: 'docs', workspace: 'carol-docs', permissions: { ask: ['Edit({workspace}/docs/**)'], deny: ['Read'] } });
    expect(created.status).toBe(201);
    expect(created.body.permissions).toEqual({ ask: ['Edit({workspace}/docs/**)'], deny: ['Read'] });
    const dir = path.join(path.dirname(agent.workspaces), 'named', 'carol-docs');
    const sid = created.body.id as string;
    answers.set('docs-write', (req) => {
      if (req.afterToolResult) return { text: 'Ok.' };
      const [, name] = req.userMessage.split(' ');
      return { tools: [{ name: 'Write', input: { file_path: path.join(dir, name), content: name } }] };
    });
    // Under docs/: asked. Both the session's rule and the deployment's (Write) cover it; the narrower is granted.
    const first = await askAndAnswer(CAROL, 'docs-write docs/a.md', { decision: 'allow_always' }, sid);
    expect(first.events.find((e) => e.event === 'permission')?.data).toMatchObject({ tool: 'Write', input_summary: 'docs/a.md' });
    expect(readFileSync(path.join(dir, 'docs/a.md'), 'utf8')).toBe('docs/a.md');
    const session = (await t.http().get(`/api/sessions/${sid}`).set('Authorization', auth)).body;
    expect(session.grants).toEqual([`Edit(/${dir}/docs/**)`]);
    // Another file under docs/: not asked. One outside it: the deployment's rule still asks.
    const second = await askAndAnswer(CAROL, 'docs-write docs/b.md', { decision: 'deny' }, sid);
    expect(kinds(second.events)).not.toContain('permission');
    expect(readFileSync(path.join(dir, 'docs/b.md'), 'utf8')).toBe('docs/b.md');
    const outside = await askAndAnswer(CAROL, 'docs-write top.md', { decision: 'deny' }, sid);
    expect(outside.events.find((e) => e.event === 'permission')?.data).toMatchObject({ input_summary: 'top.md' });
    expect(existsSync(path.join(dir, 'top.md'))).toBe(false);
    // The session's deny rule: Read refused without asking.
    answers.set('docs-read', (req) =>
      req.afterToolResult ? { text: 'Gelesen?' } : { tools: [{ name: 'Read', input: { file_path: path.join(dir, 'docs/a.md') } }] },
    );
    const read = await askAndAnswer(CAROL, 'docs-read', { decision: 'allow_once' }, sid);
    expect(kinds(read.events)).not.toContain('permission');
    expect(read.events.filter((e) => e.event === 'tool').at(-1)?.data).toMatchObject({ name: 'Read', status: 'error' });
    await t.http().post(`/api/sessions/${sid}/checkin`).set('Authorization', auth);
  });

  it('only admins may add allow rules (403 naming the field); rules must have the rule form (400)', async () => {
    const create = async (email: string, body: Record<string, unknown>) =>
      t
        .http()
        .post('/api/sessions')
        .set('Authorization', await t.auth(email))
        .send(body);
    const refused = await create(DAVE, { name: 'wide', permissions: { allow: ['Bash'] } });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toMatch(/permissions\.allow may only be given by admins/);
    const bad = await create(DAVE, { name: 'bad', permissions: { ask: ['Edit(x', 'ok'] } });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/permissions\.ask must be Tool or Tool\(content\)/);
    const notList = await create(DAVE, { name: 'bad2', permissions: { deny: 'Bash' } });
    expect(notList.status).toBe(400);
    expect(notList.body.message).toMatch(/permissions\.deny/);
    // An admin (here a key with the admin scope) may.
    const { key } = await t.app.get(ApiKeysService).create({ userId: subFor(DAVE), email: DAVE, name: 'ops', scopes: ['admin'] });
    const admin = await t
      .http()
      .post('/api/sessions')
      .set('Authorization', `Bearer ${key}`)
      .send({ name: 'wide', permissions: { allow: ['Grep'] } });
    expect(admin.status).toBe(201);
    expect(admin.body.permissions).toEqual({ allow: ['Grep'] });
    await t
      .http()
      .post(`/api/sessions/${admin.body.id as string}/checkin`)
      .set('Authorization', `Bearer ${key}`);
  });
});

describe('permission requests: nobody answers', () => {
  let agent: StreamJsonAgentFixture;
  let t: TurnApp;
  const EVE = 'ask-eve@example.com';

  beforeAll(async () => {
    agent = await startStreamJsonAgent((req) => {
      if (!conversation(req).includes('write-unanswered')) return undefined;
      return req.afterToolResult
        ? { text: 'Dann eben nicht.' }
        : { tools: [{ name: 'Write', input: { file_path: path.join(agent.workspaces, 'never.md'), content: 'x' } }] };
    });
    // The request's deadline is well past the silence timeout: waiting for a person is not silence.
    t = await startBackendApp({
      ...agent.env,
      PALIADIN_AGENT_ASK: 'Write',
      PALIADIN_AGENT_ALLOW: 'Edit(//**)',
      PALIADIN_REQUEST_TIMEOUT_MS: '4000',
      PALIADIN_SILENCE_TIMEOUT_MS: '1500',
      PALIADIN_THINKING_INTERVAL_MS: '200',
    });
  });

  afterAll(async () => {
    await t?.app.close();
    await agent?.stop();
  });

  it('times out: resolved {by: timeout}, the tool does not run; meanwhile thinking carries waiting_for and silence does not end the turn', async () => {
    const turnId = await t.ask(EVE, { user_message: 'write-unanswered' });
    const read = await t.read(EVE, turnId, { dropPings: true, timeoutMs: 40_000 });
    const ks = kinds(read.events);
    expect(ks.at(-1)).toBe('end');
    const asked = ks.indexOf('permission');
    const resolved = ks.indexOf('resolved');
    expect(asked).toBeGreaterThan(0);
    const permission = read.events[asked].data as { request_id: string; expires_at: string };
    expect(resolvedOf(read.events)).toEqual([
      expect.objectContaining({
        request_id: permission.request_id,
        by: 'timeout',
        outcome: { decision: 'deny', message: 'Nobody answered within 4 s; the tool was not allowed.' },
      }),
    ]);
    const waited = read.events.slice(asked + 1, resolved).filter((e) => e.event === 'thinking');
    expect(waited.length).toBeGreaterThan(5);
    for (const ev of waited) expect(ev.data).toMatchObject({ waiting_for: { request_id: permission.request_id, kind: 'permission' } });
    expect(read.events.slice(resolved).some((e) => e.event === 'thinking' && 'waiting_for' in (e.data as object))).toBe(false);
    expect(existsSync(path.join(agent.workspaces, 'never.md'))).toBe(false);
    const [row] = await t.app
      .get(DataSource)
      .query(`SELECT resolved_by, expires_at, created_at FROM paliadin_requests WHERE request_id = $1`, [permission.request_id]);
    expect(row.resolved_by).toBe('timeout');
    // Both from the app's clock: the row says the timeout the request was given.
    expect(new Date(permission.expires_at).getTime() - row.created_at.getTime()).toBe(4_000);
    expect(row.expires_at.getTime()).toBe(new Date(permission.expires_at).getTime());
  });
});
