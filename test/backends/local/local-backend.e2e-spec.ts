import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PALIADIN_BACKEND } from '../../../src/backends/backend.interface.js';
import type { PtyLocalBackend as LocalBackend } from '../../../src/backends/local/pty/pty.backend.js';
import { agentSessionName, firstAgentTag } from '../../../src/contract/agent-session.js';
import { sanitiseForTerminal } from '../../../src/contract/envelope.js';
import { startClaudeAgent, writeAnswer, type ClaudeAgentFixture, type Envelope } from '../../support/claude-agent.js';
import { kinds, startBackendApp, type TurnApp } from '../../support/pipeline-app.js';
import { readSse } from '../../support/sse-client.js';
import { subFor, tokenFor } from '../../support/tokens.js';
import { waitUntil } from '../../support/wait.js';

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
const CAROL = 'carol@example.com';

const session = (email: string) => agentSessionName('paliad-paliadin', firstAgentTag(subFor(email)));

/** What the scripted model does per message: the tests steer it through the message text. */
const answers = new Map<string, (e: Envelope) => ReturnType<typeof writeAnswer>>();

describe('local backend: the real Claude Code in a pseudo-terminal', () => {
  let agent: ClaudeAgentFixture;
  let t: TurnApp;
  let backend: LocalBackend;
  /** Named sessions' workspaces (PALIADIN_WORKSPACES_DIR). */
  const named = () => path.join(path.dirname(agent.home), 'named');

  beforeAll(async () => {
    agent = await startClaudeAgent((e) => {
      for (const [marker, answer] of answers) if (e.message.includes(marker)) return answer(e);
      return writeAnswer(e, `Echo: ${e.message.length} chars`);
    });
    t = await startBackendApp({ ...agent.env, PALIADIN_WORKSPACES_DIR: named() });
    backend = t.app.get(PALIADIN_BACKEND);
  });

  afterAll(async () => {
    await t?.app.close();
    await agent?.stop();
  });

  async function answered(email: string, message: string) {
    const turnId = await t.ask(email, { user_message: message });
    const read = await t.read(email, turnId, { dropPings: true, timeoutMs: 30_000 });
    return {
      turnId,
      read,
      row: (
        await t
          .http()
          .get(`/api/paliadin/turns/${turnId}`)
          .set('Authorization', await t.auth(email))
      ).body,
    };
  }

  it('health says the agent can be spawned', async () => {
    const res = await t.http().get('/health');
    expect(res.status).toBe(200);
    expect(res.body.info.backend).toMatchObject({ kind: 'local', state: 'up' });
    expect(res.body.info.backend.detail).toContain('node_modules/.bin/claude');
  });

  it('a Write of the answer file (chips and trailer) ends the turn with the answer and its meta', async () => {
    answers.set('Wer betreut Fall 42', (e) =>
      writeAnswer(
        e,
        'Fall 42 betreut **Anna Meier**: [Fall 42](paliad:case/42), [Anna](paliad:contact/7).\n\n' +
          '<!-- paliadin-meta {"used_tools":["Read","Grep"],"rows_seen":[42,"7"],"classifier_tag":"case_lookup"} -->\n',
      ),
    );
    const { turnId, read, row } = await answered(ALICE, 'Wer betreut Fall 42?');
    expect(kinds(read.events)).toEqual(['meta', 'content', 'end']);
    const text = 'Fall 42 betreut **Anna Meier**: [Fall 42](paliad:case/42), [Anna](paliad:contact/7).';
    expect(read.events[1].data).toEqual({ text });
    expect(read.events[2].data).toMatchObject({
      turn_id: turnId,
      used_tools: ['Read', 'Grep'],
      rows_seen: [42, 7],
      chip_count: 2,
      classifier_tag: 'case_lookup',
    });
    expect(row).toMatchObject({ response: text, error_code: null, chip_count: 2, rows_seen: [42, 7], classifier_tag: 'case_lookup' });
    // The agent saw the envelope docs/agent-protocol.md describes, with our turn id and answer path.
    expect(agent.envelopes().find((e) => e.turnId === turnId)).toEqual({ turnId, out: `${agent.responseDir}/${turnId}.md`, message: 'Wer betreut Fall 42?' });
  });

  it("a named session's pane works in its workspace, trusted in the agent's HOME so no dialog holds it", async () => {
    const auth = await t.auth(CAROL);
    const created = await t.http().post('/api/sessions').set('Authorization', auth).send({ name: 'pty-proj', workspace: 'proj-pty' });
    expect(created.status).toBe(201);
    const dir = path.join(named(), 'proj-pty');
    const exec = await t
      .http()
      .post(`/api/sessions/${created.body.id as string}/exec`)
      .set('Authorization', auth)
      .send({ input: 'wo bist du' });
    const read = await t.read(CAROL, exec.body.turn_id as string, { dropPings: true, timeoutMs: 30_000 });
    expect(kinds(read.events)).toEqual(['meta', 'content', 'end']);
    const state = JSON.parse(readFileSync(path.join(agent.home, '.claude.json'), 'utf8')) as { projects: Record<string, { hasTrustDialogAccepted?: boolean }> };
    expect(state.projects[named()]?.hasTrustDialogAccepted).toBe(true);
    // Claude Code tells the model where it works.
    const req = agent.model.requests.find((r) => r.body.tools?.length && r.userText.includes('wo bist du'))!;
    expect(JSON.stringify(req.body.system) + JSON.stringify(req.body.messages)).toContain(dir);
    await t
      .http()
      .post(`/api/sessions/${created.body.id as string}/checkin`)
      .set('Authorization', auth);
  });

  it("the session's screen is its pane's terminal: now, and live while a turn types into it", async () => {
    const auth = await t.auth(ALICE);
    await answered(ALICE, 'bildschirm eins');
    const [s] = (await t.http().get('/api/sessions').set('Authorization', auth)).body.sessions;
    const now = await t
      .http()
      .get(`/api/sessions/${s.id as string}/screen`)
      .set('Authorization', auth);
    expect(now.status).toBe(200);
    expect(now.body).toMatchObject({ cols: 120, rows: 40, cursor: { x: expect.any(Number), y: expect.any(Number) } });
    expect(now.body.lines).toHaveLength(40);
    expect(new Date(now.body.captured_at as string).getTime()).toBeGreaterThan(Date.now() - 60_000);

    // Watching while a turn runs: the screen changes as the envelope is typed and the agent works.
    const screens: string[][] = [];
    const stop = new AbortController();
    const watching = readSse(t.url, `/api/sessions/${s.id as string}/screen/stream`, {
      token: await tokenFor(ALICE),
      timeoutMs: 30_000,
      onEvent: (ev) => {
        if (ev.event === 'screen') screens.push((ev.data as { lines: string[] }).lines);
      },
      signal: stop.signal,
    });
    await answered(ALICE, 'bildschirm zwei');
    await waitUntil(() => screens.some((l) => l.join('\n').includes('bildschirm zwei')), 10_000, 'the typed message on the watched screen');
    stop.abort();
    const read = await watching;
    expect(read.events.every((e) => e.id === undefined)).toBe(true);
    expect(screens.length).toBeGreaterThan(1);
    // Each screen differs from the one before: only changes are sent.
    screens.slice(1).forEach((l, i) => expect(l).not.toEqual(screens[i]));
    // Another user's session is not there.
    expect(
      (
        await t
          .http()
          .get(`/api/sessions/${s.id as string}/screen`)
          .set('Authorization', await t.auth(BOB))
      ).status,
    ).toBe(404);
  });

  it('an 8 KB message arrives whole', async () => {
    const message = Array.from({ length: 820 }, (_, i) => `w${i.toString().padStart(4, '0')}+`)
      .join('')
      .padEnd(8192, 'x');
    expect(message.length).toBe(8192);
    const { turnId, read } = await answered(ALICE, message);
    expect(kinds(read.events)).toEqual(['meta', 'content', 'end']);
    expect(agent.envelopes().find((e) => e.turnId === turnId)?.message).toBe(message);
    expect(read.events[1].data).toEqual({ text: 'Echo: 8192 chars' });
  });

  it('control characters and escape sequences are typed as text, never as keys', async () => {
    const pidBefore = backend.pool.pidOf(session(ALICE));
    // Ctrl-C, Ctrl-D, Escape (alone and as colour / cursor / bracketed-paste-end sequences), newlines, a slash command.
    const message = 'rot:\x1b[31mROT\x1b[0m hoch:\x1b[A ende:\x1b[201~ \x03\x04 zeile1\nzeile2\r\n\ttab /clear \u009b2J fin';
    const { turnId, read } = await answered(ALICE, message);
    expect(kinds(read.events)).toEqual(['meta', 'content', 'end']);
    const seen = agent.envelopes().find((e) => e.turnId === turnId)?.message;
    expect(seen).toBe(sanitiseForTerminal(message));
    expect(seen).toBe('rot:[31mROT[0m hoch:[A ende:[201~  zeile1 zeile2  tab /clear 2J fin');
    // Ctrl-C / Ctrl-D did not reach the agent as keys: it is the same process.
    expect(backend.pool.pidOf(session(ALICE))).toBe(pidBefore);
  });

  it("one user's turns run one at a time: the second message reaches the agent only after the first is answered", async () => {
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((r) => (releaseFirst = r));
    answers.set('serial-one', (e) => writeAnswer(e, 'one', { hold: firstHeld }));
    const first = await t.ask(ALICE, { user_message: 'serial-one' });
    const second = await t.ask(ALICE, { user_message: 'serial-two' });
    await waitUntil(() => agent.envelopes().some((e) => e.turnId === first), 20_000, 'the first envelope');
    releaseFirst();
    const [r1, r2] = await Promise.all([t.read(ALICE, first, { dropPings: true }), t.read(ALICE, second, { dropPings: true })]);
    expect(r1.events.at(-1)?.data).toMatchObject({ turn_id: first });
    expect(kinds(r2.events)).toEqual(['meta', 'content', 'end']);
    // Typed into a busy agent, the second message would have been folded into the first turn's
    // follow-up request; here it came as a turn of its own, after the first.
    const order = agent.envelopes().map((e) => e.turnId);
    expect(order.indexOf(first)).toBeGreaterThanOrEqual(0);
    expect(order.indexOf(second)).toBeGreaterThan(order.indexOf(first));
  });

  it('two users run in parallel, each in their own pane', async () => {
    // Each answer is held until both envelopes have reached the model: serialised users would never finish.
    let bothSeen!: () => void;
    const both = new Promise<void>((r) => (bothSeen = r));
    const seen = new Set<string>();
    answers.set('parallel-', (e) => {
      seen.add(e.message);
      if (seen.size === 2) bothSeen();
      return writeAnswer(e, `answer to ${e.message}`, { hold: both });
    });
    const [a, b] = await Promise.all([answered(BOB, 'parallel-bob'), answered(CAROL, 'parallel-carol')]);
    expect(a.read.events[1].data).toEqual({ text: 'answer to parallel-bob' });
    expect(b.read.events[1].data).toEqual({ text: 'answer to parallel-carol' });
    const [pb, pc] = [backend.pool.pidOf(session(BOB)), backend.pool.pidOf(session(CAROL))];
    expect(pb).toBeDefined();
    expect(pc).toBeDefined();
    expect(pb).not.toBe(pc);
  });

  it('an agent that exits is started again on the next turn', async () => {
    await answered(BOB, 'warm up');
    const pid = backend.pool.pidOf(session(BOB))!;
    process.kill(pid, 'SIGKILL');
    await waitUntil(() => backend.pool.pidOf(session(BOB)) === undefined, 5_000, 'the pane to notice its agent died');
    const { read } = await answered(BOB, 'after the crash');
    expect(kinds(read.events)).toEqual(['meta', 'content', 'end']);
    const again = backend.pool.pidOf(session(BOB));
    expect(again).toBeDefined();
    expect(again).not.toBe(pid);
  });

  it('reset kills the agent and its process group; the next turn gets a new process', async () => {
    await answered(CAROL, 'before reset');
    const pid = backend.pool.pidOf(session(CAROL))!;
    const res = await t
      .http()
      .post('/api/paliadin/reset')
      .set('Authorization', await t.auth(CAROL));
    expect(res.status).toBe(200);
    expect(backend.pool.pidOf(session(CAROL))).toBeUndefined();
    expect(() => process.kill(-pid, 0)).toThrow(); // no process of its group is left
    const { read } = await answered(CAROL, 'after reset');
    expect(kinds(read.events)).toEqual(['meta', 'content', 'end']);
    expect(backend.pool.pidOf(session(CAROL))).not.toBe(pid);
  });
});
