import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { PALIADIN_BACKEND } from '../../../src/backends/backend.interface.js';
import { WORD_JOINER, agentMessage } from '../../../src/backends/local/stream-json/agent-input.js';
import type { StreamJsonLocalBackend } from '../../../src/backends/local/stream-json/stream-json.backend.js';
import { agentSessionName, firstAgentTag } from '../../../src/contract/agent-session.js';
import { byMarker, conversationOf, startStreamJsonAgent, type MarkedAnswers, type StreamJsonAgentFixture } from '../../support/claude-agent.js';
import { kinds, startBackendApp, type TurnApp } from '../../support/pipeline-app.js';
import type { SseEvent } from '../../support/sse-client.js';
import { subFor } from '../../support/tokens.js';
import { waitUntil } from '../../support/wait.js';

const ALICE = 'sj-alice@example.com';
const BOB = 'sj-bob@example.com';
const CAROL = 'sj-carol@example.com';
const DAVE = 'sj-dave@example.com';

const TRAILER = '<!-- paliadin-meta {"used_tools":["Grep"],"rows_seen":[42,"7"],"classifier_tag":"case_lookup"} -->';

/** What the scripted model does per message: the tests steer it through markers in the message text. */
const answers: MarkedAnswers = new Map();

const deltas = (events: SseEvent[]) => events.filter((e) => e.event === 'content').map((e) => (e.data as { delta: string }).delta);
/** The kinds, each run of content deltas as one. */
const shape = (events: SseEvent[]) => kinds(events).filter((k, i, all) => k !== 'content' || all[i - 1] !== 'content');
const tools = (events: SseEvent[]) => events.filter((e) => e.event === 'tool').map((e) => e.data);
/** Everything the model was sent in one request, as text (the conversation so far). */
const conversation = conversationOf;

describe('local backend, stream-json driver: the real Claude Code, headless', () => {
  let agent: StreamJsonAgentFixture;
  let t: TurnApp;
  let backend: StreamJsonLocalBackend;
  const session = (email: string) => agentSessionName(agent.env.PALIADIN_SESSION_PREFIX, firstAgentTag(subFor(email)));
  const workspace = (email: string) => path.join(agent.workspaces, session(email));
  /** Named sessions' workspaces (PALIADIN_WORKSPACES_DIR). */
  const named = () => path.join(path.dirname(agent.workspaces), 'named');

  beforeAll(async () => {
    agent = await startStreamJsonAgent(byMarker(answers));
    t = await startBackendApp({ ...agent.env, PALIADIN_WORKSPACES_DIR: named() });
    backend = t.app.get(PALIADIN_BACKEND);
  });

  afterAll(async () => {
    await t?.app.close();
    await agent?.stop();
  });

  async function answered(email: string, message: string, onEvent?: (ev: SseEvent) => void) {
    const turnId = await t.ask(email, { user_message: message });
    const read = await t.read(email, turnId, { dropPings: true, timeoutMs: 30_000, onEvent });
    const row = (
      await t
        .http()
        .get(`/api/paliadin/turns/${turnId}`)
        .set('Authorization', await t.auth(email))
    ).body;
    return { turnId, events: read.events, row };
  }

  it('health names the driver and counts live agents', async () => {
    const res = await t.http().get('/health');
    expect(res.status).toBe(200);
    expect(res.body.info.backend).toMatchObject({ kind: 'local', state: 'up' });
    expect(res.body.info.backend.detail).toMatch(/node_modules\/\.bin\/claude \(stream-json\); \d+\/8 agents live/);
  });

  it('text deltas go out in order as they arrive, before end; the stored answer is their concatenation without the trailer', async () => {
    const text = 'Fall 42 betreut **Anna Meier**: [Fall 42](paliad:case/42), [Anna](paliad:contact/7). Sonst nichts.';
    // The model keeps its last word back until the reader has had a delta: the deltas go out while it
    // streams (were they held until the answer was whole, this turn could not end).
    let deltaSeen!: () => void;
    const seen = new Promise<void>((resolve) => (deltaSeen = resolve));
    answers.set('Wer betreut Fall 42', () => ({ text: `${text}\n\n${TRAILER}\n`, wordDelayMs: 5, holdLastWord: seen }));
    const { turnId, events, row } = await answered(ALICE, 'Wer betreut Fall 42?', (ev) => ev.event === 'content' && deltaSeen());

    expect(kinds(events)[0]).toBe('meta');
    expect(kinds(events).at(-1)).toBe('end');
    expect(new Set(kinds(events).slice(1, -1))).toEqual(new Set(['content']));
    // Word by word: many deltas, in the model's order.
    const streamed = deltas(events);
    expect(streamed.length).toBeGreaterThanOrEqual(10);
    expect(streamed.join('')).toBe(`${text}\n\n`);
    expect(events.map((e) => Number(e.id))).toEqual(events.map((_, i) => i + 1));
    expect(events.some((e) => JSON.stringify(e.data).includes('paliadin-meta'))).toBe(false);

    expect(events.at(-1)!.data).toMatchObject({
      turn_id: turnId,
      streamed: true,
      used_tools: ['Grep'],
      rows_seen: [42, 7],
      chip_count: 2,
      classifier_tag: 'case_lookup',
      num_turns: 1,
      usage: { input_tokens: 10, output_tokens: 10 },
    });
    expect((events.at(-1)!.data as { usage: { cost_usd: number } }).usage.cost_usd).toBeGreaterThan(0);
    expect(row).toMatchObject({ response: text, error_code: null, chip_count: 2, rows_seen: [42, 7], classifier_tag: 'case_lookup' });
  });

  it('tool calls become tool events, and their names join used_tools; permissions hold (workspace only, no shell)', async () => {
    mkdirSync(workspace(ALICE), { recursive: true });
    writeFileSync(path.join(workspace(ALICE), 'notiz.md'), 'Fall 42: Anna Meier');
    const outside = path.join(agent.home, 'outside.md');
    answers.set('tool-turn', (req) => {
      if (req.afterToolResult) return { text: `Gelesen.\n\n${TRAILER}` };
      return {
        text: 'Ich sehe nach.',
        tools: [
          { name: 'Read', input: { file_path: path.join(workspace(ALICE), 'notiz.md') } },
          { name: 'Write', input: { file_path: outside, content: 'escaped' } },
          { name: 'Bash', input: { command: `touch ${outside}` } },
        ],
      };
    });
    const { events, row } = await answered(ALICE, 'tool-turn');
    expect(shape(events)).toEqual(['meta', 'content', 'tool', 'tool', 'tool', 'tool', 'tool', 'tool', 'content', 'end']);
    const calls = tools(events);
    expect(calls.slice(0, 3)).toEqual([
      { name: 'Read', input_summary: 'notiz.md', status: 'started' },
      { name: 'Write', input_summary: outside, status: 'started' },
      { name: 'Bash', input_summary: `touch ${outside}`, status: 'started' },
    ]);
    // The agent may run them side by side: results in any order.
    expect(calls.slice(3)).toEqual(
      expect.arrayContaining([
        { name: 'Read', input_summary: 'notiz.md', status: 'done' },
        { name: 'Write', input_summary: outside, status: 'error' },
        { name: 'Bash', input_summary: `touch ${outside}`, status: 'error' },
      ]),
    );
    expect(deltas(events).join('')).toBe('Ich sehe nach.\n\nGelesen.\n\n');
    // The trailer's tools and the ones the agent was seen using.
    expect(events.at(-1)!.data).toMatchObject({ used_tools: ['Grep', 'Read', 'Write', 'Bash'], usage: { input_tokens: 20, output_tokens: 20 } });
    // As Claude Code counts them (more than one for a turn with tool calls).
    expect((events.at(-1)!.data as { num_turns: number }).num_turns).toBeGreaterThan(1);
    expect(row.used_tools).toEqual(['Grep', 'Read', 'Write', 'Bash']);
    expect(row.response).toBe('Ich sehe nach.\n\nGelesen.');
    expect(existsSync(outside)).toBe(false);

    // What the model got back: the file's text, a refusal for the write, and no shell at all.
    const followUp = agent.model.requests.filter((r) => r.afterToolResult && conversation(r).includes('tool-turn')).at(-1)!;
    const results = JSON.stringify(followUp.body.messages!.at(-1));
    expect(results).toContain('Fall 42: Anna Meier');
    expect(results).toMatch(/Permission to use Write has been denied/);
    expect(results).toMatch(/No such tool available: Bash/);
    expect(followUp.body.tools!.map((x) => x.name).sort()).toEqual(['Edit', 'Glob', 'Grep', 'Read', 'Write']);

    // A write in its own workspace is allowed.
    answers.set('write-inside', (req) =>
      req.afterToolResult ? { text: 'Notiert.' } : { tools: [{ name: 'Write', input: { file_path: path.join(workspace(ALICE), 'neu.md'), content: 'drin' } }] },
    );
    const inside = await answered(ALICE, 'write-inside');
    expect(tools(inside.events)).toEqual([
      { name: 'Write', input_summary: 'neu.md', status: 'started' },
      { name: 'Write', input_summary: 'neu.md', status: 'done' },
    ]);
    expect(readFileSync(path.join(workspace(ALICE), 'neu.md'), 'utf8')).toBe('drin');
  });

  it("a named session's workspace is its agent's working directory, and the only place it may write", async () => {
    const auth = await t.auth(BOB);
    const created = await t.http().post('/api/sessions').set('Authorization', auth).send({ name: 'proj-a', workspace: 'proj' });
    expect(created.status).toBe(201);
    const dir = path.join(named(), 'proj');
    const elsewhere = path.join(workspace(BOB), 'default.md');
    answers.set('write-named', (req) =>
      req.afterToolResult
        ? { text: 'Notiert.' }
        : {
            tools: [
              { name: 'Write', input: { file_path: path.join(dir, 'x.md'), content: 'im Projekt' } },
              { name: 'Write', input: { file_path: elsewhere, content: 'daneben' } },
            ],
          },
    );
    const exec = await t
      .http()
      .post(`/api/sessions/${created.body.id as string}/exec`)
      .set('Authorization', auth)
      .send({ input: 'write-named' });
    expect(exec.status).toBe(200);
    const read = await t.read(BOB, exec.body.turn_id as string, { dropPings: true, timeoutMs: 30_000 });
    expect(kinds(read.events).at(-1)).toBe('end');
    expect(readFileSync(path.join(dir, 'x.md'), 'utf8')).toBe('im Projekt');
    expect(existsSync(elsewhere)).toBe(false);
    // Claude Code tells the model where it works.
    const first = agent.model.requests.find((r) => r.userMessage === 'write-named')!;
    expect(JSON.stringify(first.body.system) + conversation(first)).toContain(dir);
    await t
      .http()
      .post(`/api/sessions/${created.body.id as string}/checkin`)
      .set('Authorization', auth);
  });

  it("has no terminal: the screen routes answer 409 NO_TERMINAL and point to the session's events", async () => {
    const auth = await t.auth(ALICE);
    const [s] = (await t.http().get('/api/sessions?status=active').set('Authorization', auth)).body.sessions;
    for (const path of ['screen', 'screen/stream']) {
      const res = await t
        .http()
        .get(`/api/sessions/${s.id as string}/${path}`)
        .set('Authorization', auth);
      expect(res.status).toBe(409);
      expect(res.body).toEqual({
        statusCode: 409,
        error: 'Conflict',
        code: 'NO_TERMINAL',
        message: `The local backend's stream-json driver has no terminal to show; read the session's events instead: GET /api/sessions/${s.id as string}/events`,
      });
    }
  });

  it('an 8 KB message arrives whole', async () => {
    const message = Array.from({ length: 820 }, (_, i) => `w${i.toString().padStart(4, '0')}+`)
      .join('')
      .padEnd(8192, 'x');
    const { events } = await answered(ALICE, message);
    expect(kinds(events).at(-1)).toBe('end');
    expect(agent.turns().at(-1)!.userMessage).toBe(message);
    expect(deltas(events).join('')).toBe('Echo: 8192 chars');
  });

  it('control characters go, line breaks stay; a leading slash and @mentions reach the model as text, never as commands', async () => {
    const pid = backend.pool.pidOf(session(ALICE));
    const secret = path.join(agent.home, 'secret.txt');
    writeFileSync(secret, 'TOP-SECRET-FILE');
    for (const message of [`rot:\x1b[31mROT\x1b[0m \x03\x04 zeile1\nzeile2\r\n\ttab \u009b2J fin @${secret}`, '/clear', `@${secret} was steht da?`]) {
      const before = agent.turns().length;
      const { events } = await answered(ALICE, message);
      expect(kinds(events).at(-1)).toBe('end');
      const req = agent.turns()[before];
      expect(req.userMessage).toBe(agentMessage(message));
      // The file was not attached, and `/clear` did not wipe the conversation: earlier turns are still in it.
      expect(conversation(req)).not.toContain('TOP-SECRET-FILE');
      expect(conversation(req)).toContain('Wer betreut Fall 42?');
    }
    expect(agent.turns().at(-3)!.userMessage).toBe(`rot:[31mROT[0m  zeile1\nzeile2\n\ttab 2J fin ${WORD_JOINER}@${secret}`);
    // Ctrl-C / Ctrl-D in the text did nothing to the agent: it is the same process.
    expect(backend.pool.pidOf(session(ALICE))).toBe(pid);
  });

  it("one session's turns run one at a time: the second message reaches the agent only after the first is answered", async () => {
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((r) => (releaseFirst = r));
    answers.set('serial-one', () => ({ text: 'one', hold: firstHeld }));
    const first = await t.ask(BOB, { user_message: 'serial-one' });
    const second = await t.ask(BOB, { user_message: 'serial-two' });
    await waitUntil(() => agent.turns().some((r) => r.userMessage === 'serial-one'), 20_000, 'the first message at the model');
    // Held: the second has not reached the agent (it would have been folded into the first turn).
    expect(agent.turns().some((r) => r.userMessage === 'serial-two')).toBe(false);
    releaseFirst();
    const [r1, r2] = await Promise.all([t.read(BOB, first, { dropPings: true }), t.read(BOB, second, { dropPings: true })]);
    expect(deltas(r1.events).join('')).toBe('one');
    expect(deltas(r2.events).join('')).toBe('Echo: 10 chars');
    const order = agent.turns().map((r) => r.userMessage);
    expect(order.indexOf('serial-two')).toBeGreaterThan(order.indexOf('serial-one'));
  });

  it('different sessions run in parallel, each with its own agent process', async () => {
    let bothSeen!: () => void;
    const both = new Promise<void>((r) => (bothSeen = r));
    const seen = new Set<string>();
    answers.set('parallel-', (req) => {
      seen.add(req.userMessage);
      if (seen.size === 2) bothSeen();
      return { text: `answer to ${req.userMessage}`, hold: both };
    });
    const [b, c] = await Promise.all([answered(BOB, 'parallel-bob'), answered(CAROL, 'parallel-carol')]);
    expect(deltas(b.events).join('')).toBe('answer to parallel-bob');
    expect(deltas(c.events).join('')).toBe('answer to parallel-carol');
    const [pb, pc] = [backend.pool.pidOf(session(BOB)), backend.pool.pidOf(session(CAROL))];
    expect(pb).toBeDefined();
    expect(pc).toBeDefined();
    expect(pb).not.toBe(pc);
  });

  it('cancel mid-stream interrupts the agent: error cancelled, the process lives on and answers the next turn', async () => {
    answers.set('long answer', () => ({ text: Array.from({ length: 400 }, (_, i) => `wort${i}`).join(' '), wordDelayMs: 20 }));
    const pid = backend.pool.pidOf(session(ALICE));
    const turnId = await t.ask(ALICE, { user_message: 'long answer please' });
    let cancelled: Promise<unknown> | undefined;
    const read = await t.read(ALICE, turnId, {
      dropPings: true,
      timeoutMs: 30_000,
      onEvent: (ev, all) => {
        if (ev.event === 'content' && all.filter((e) => e.event === 'content').length === 3) {
          cancelled = t.auth(ALICE).then((a) => t.http().post(`/api/paliadin/turns/${turnId}/cancel`).set('Authorization', a));
        }
      },
    });
    expect(((await cancelled) as { body: { error_code: string } }).body.error_code).toBe('cancelled');
    expect(read.events.at(-1)).toMatchObject({ event: 'error', data: { code: 'cancelled' } });
    expect(deltas(read.events).length).toBeLessThan(100);

    const next = await answered(ALICE, 'after the cancel');
    expect(deltas(next.events).join('')).toBe('Echo: 16 chars');
    expect(backend.pool.pidOf(session(ALICE))).toBe(pid);
    // The agent knows the cancelled turn was cut short.
    expect(conversation(agent.turns().at(-1)!)).toMatch(/Request interrupted by user/);
  });

  it('an agent that dies mid-turn: upstream_error (retryable); the next turn starts a new one that resumes the conversation', async () => {
    await answered(DAVE, 'remember the word Kiwi');
    // Claude Code writes its transcript a little after a turn; a kill before that loses the turn on its side.
    // What is tested here is our resume, so the kill waits until the exchange is on disk.
    const [{ id }] = await t.app
      .get(DataSource)
      .query(`SELECT agent_session_id AS id FROM paliadin_sessions WHERE agent_session = $1 AND status = 'active'`, [session(DAVE)]);
    const transcript = () => {
      const projects = path.join(agent.home, '.claude', 'projects');
      const file = readdirSync(projects)
        .map((d) => path.join(projects, d, `${id as string}.jsonl`))
        .find((f) => existsSync(f));
      return file ? readFileSync(file, 'utf8') : '';
    };
    await waitUntil(() => transcript().includes('Kiwi'), 10_000, 'the transcript on disk');
    answers.set('die now', () => ({ text: 'Ich fange an', hold: new Promise(() => undefined) }));
    const turnId = await t.ask(DAVE, { user_message: 'die now' });
    await waitUntil(() => agent.turns().some((r) => r.userMessage === 'die now'), 20_000, 'the message at the model');
    const pid = backend.pool.pidOf(session(DAVE))!;
    process.kill(pid, 'SIGKILL');
    const read = await t.read(DAVE, turnId, { dropPings: true, timeoutMs: 20_000 });
    expect(read.events.at(-1)).toMatchObject({ event: 'error', data: { code: 'upstream_error', retryable: true } });
    const row = (
      await t
        .http()
        .get(`/api/paliadin/turns/${turnId}`)
        .set('Authorization', await t.auth(DAVE))
    ).body;
    expect(row.error_code).toBe('upstream_error');

    const next = await answered(DAVE, 'what was the word?');
    expect(kinds(next.events).at(-1)).toBe('end');
    const again = backend.pool.pidOf(session(DAVE));
    expect(again).toBeDefined();
    expect(again).not.toBe(pid);
    expect(conversation(agent.turns().at(-1)!)).toContain('remember the word Kiwi');
  });

  it('reset ends the process and its conversation: the next turn starts empty in a new process', async () => {
    await answered(CAROL, 'before reset');
    const pid = backend.pool.pidOf(session(CAROL))!;
    const res = await t
      .http()
      .post('/api/paliadin/reset')
      .set('Authorization', await t.auth(CAROL));
    expect(res.status).toBe(200);
    expect(backend.pool.pidOf(session(CAROL))).toBeUndefined();
    expect(() => process.kill(-pid, 0)).toThrow(); // no process of its group is left
    const { events } = await answered(CAROL, 'after reset');
    expect(kinds(events).at(-1)).toBe('end');
    expect(backend.pool.pidOf(session(CAROL))).not.toBe(pid);
    expect(conversation(agent.turns().at(-1)!)).not.toContain('before reset');
  });
});
