import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { byMarker, conversationOf, startStreamJsonAgent, type MarkedAnswers, type StreamJsonAgentFixture } from '../support/claude-agent.js';
import { kinds, startBackendApp, type TurnApp } from '../support/pipeline-app.js';
import { TWO_QUESTIONS, answerRequest, requestIdOf, resolvedOf } from '../support/requests.js';
import type { SseEvent } from '../support/sse-client.js';
import { startTestApp } from '../support/test-app.js';

const FRIDA = 'q-frida@example.com';
const GUS = 'q-gus@example.com';
const HAL = 'q-hal@example.com';

const answers: MarkedAnswers = new Map();
const conversation = conversationOf;
/** The tool results the model got in its last request of the turn carrying `marker`. */
const lastResults = (agent: StreamJsonAgentFixture, marker: string) =>
  JSON.stringify(
    agent.model.requests
      .filter((r) => r.afterToolResult && conversation(r).includes(marker))
      .at(-1)!
      .body.messages!.at(-1),
  );

const OPEN_CASE = {
  name: 'open_case',
  description: 'Opens a case page in the user’s browser',
  input_schema: { type: 'object', properties: { case_id: { type: 'integer', minimum: 1 } }, required: ['case_id'], additionalProperties: false },
};
const SELECTION = { name: 'read_selection', description: 'What the user has selected on the page', input_schema: { type: 'object', properties: {} } };

describe('questions and client tools with the real Claude Code (stream-json)', () => {
  let agent: StreamJsonAgentFixture;
  let t: TurnApp;

  beforeAll(async () => {
    agent = await startStreamJsonAgent(byMarker(answers));
    t = await startBackendApp({ ...agent.env, PALIADIN_AGENT_TOOLS: 'Read,Glob,Grep,Edit,Write,AskUserQuestion' });
  });

  afterAll(async () => {
    await t?.app.close();
    await agent?.stop();
  });

  /** Runs a turn, answering each request with what `respond` gives for it, one answer after another (nothing: left open). */
  async function run(
    email: string,
    body: Record<string, unknown>,
    respond: (ev: SseEvent) => Record<string, unknown> | Record<string, unknown>[] | undefined,
    path = '/api/paliadin/turn',
  ) {
    const res = await t
      .http()
      .post(path)
      .set('Authorization', await t.auth(email))
      .send(body);
    if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
    const turnId = res.body.turn_id as string;
    const replies: { status: number; body: Record<string, unknown> }[] = [];
    const answering: Promise<void>[] = [];
    const read = await t.read(email, turnId, {
      dropPings: true,
      timeoutMs: 40_000,
      onEvent: (ev) => {
        if (!['permission', 'question', 'client_tool'].includes(ev.event)) return;
        const bodies: Record<string, unknown>[] = [respond(ev) ?? []].flat();
        answering.push(
          (async () => {
            for (const reply of bodies) replies.push(await answerRequest(t, email, turnId, requestIdOf(ev), reply));
          })(),
        );
      },
    });
    await Promise.all(answering);
    return { turnId, events: read.events, replies };
  }

  it('a multiple-choice question becomes a question event; the answers (single and multi-select) reach the model as the chosen labels', async () => {
    answers.set('ask-me', (req) =>
      req.afterToolResult
        ? { text: 'Dann so.' }
        : {
            tools: [
              {
                name: 'AskUserQuestion',
                input: TWO_QUESTIONS,
              },
            ],
          },
    );
    const { events, replies } = await run(FRIDA, { user_message: 'ask-me' }, () => [
      // First a wrong label (400, the request stays open), then the right answers.
      { answers: { 'Which format?': 'HTML', 'Which parts?': ['Costs'] } },
      { answers: { 'Which format?': 'PDF', 'Which parts?': ['Summary', 'Costs'] } },
    ]);
    const [wrong, right] = replies;
    expect(wrong.status).toBe(400);
    expect(wrong.body.message).toBe('answers["Which format?"]: "HTML" is not one of its options ("PDF", "Word")');
    expect(right.status).toBe(200);
    expect(kinds(events).at(-1)).toBe('end');
    const question = events.find((e) => e.event === 'question')!;
    expect(question.data).toMatchObject({
      questions: [
        {
          question: 'Which format?',
          header: 'Format',
          options: [
            { label: 'PDF', description: 'printable' },
            { label: 'Word', description: 'editable' },
          ],
          multi_select: false,
        },
        { question: 'Which parts?', header: 'Parts', multi_select: true },
      ],
    });
    expect(resolvedOf(events)[0]).toMatchObject({
      kind: 'question',
      by: 'user',
      outcome: { answers: { 'Which format?': ['PDF'], 'Which parts?': ['Summary', 'Costs'] } },
    });
    const results = lastResults(agent, 'ask-me');
    expect(results).toContain('\\"Which format?\\"=\\"PDF\\"');
    expect(results).toContain('\\"Which parts?\\"=\\"Summary, Costs\\"');
  });

  it("a client tool: the caller's output becomes the tool result and the model uses it; an error result says so", async () => {
    answers.set('open-42', (req) => {
      if (!req.afterToolResult) return { tools: [{ name: 'mcp__client__open_case', input: { case_id: 42 } }] };
      const said = /opened in tab \d+|case not found/.exec(conversation(req))?.[0];
      return { text: `Ergebnis: ${said ?? 'nichts'}` };
    });
    const ok = await run(FRIDA, { user_message: 'open-42', client_tools: [OPEN_CASE, SELECTION] }, (ev) =>
      ev.event === 'client_tool' ? { output: 'Case 42 opened in tab 3' } : undefined,
    );
    expect(ok.replies.map((r) => r.status)).toEqual([200]);
    expect(ok.events.find((e) => e.event === 'client_tool')?.data).toMatchObject({ name: 'open_case', input: { case_id: 42 } });
    expect(resolvedOf(ok.events)[0]).toMatchObject({ kind: 'client_tool', by: 'user', outcome: { is_error: false } });
    expect(
      ok.events
        .filter((e) => e.event === 'content')
        .map((e) => (e.data as { delta: string }).delta)
        .join(''),
    ).toBe('Ergebnis: opened in tab 3');
    // The model was offered the declared tools with their schemas as given.
    const offered = agent.turns().at(-1)!.body.tools as { name: string; input_schema?: unknown }[];
    expect(offered.find((x) => x.name === 'mcp__client__open_case')?.input_schema).toEqual(OPEN_CASE.input_schema);
    expect(offered.map((x) => x.name)).toContain('mcp__client__read_selection');

    const failed = await run(FRIDA, { user_message: 'open-42 again', client_tools: [OPEN_CASE] }, (ev) =>
      ev.event === 'client_tool' ? { output: { error: 'case not found' }, is_error: true } : undefined,
    );
    expect(resolvedOf(failed.events)[0]).toMatchObject({ outcome: { is_error: true } });
    const results = lastResults(agent, 'open-42 again');
    expect(results).toContain('case not found');
    expect(results).toContain('"is_error":true');

    // A turn without client tools: they are gone from the agent.
    await run(FRIDA, { user_message: 'plain turn' }, () => undefined);
    expect((agent.turns().at(-1)!.body.tools as { name: string }[]).map((x) => x.name).filter((n) => n.startsWith('mcp__'))).toEqual([]);
  });

  it('an input that does not match the schema never reaches the caller: the model gets the validation error', async () => {
    answers.set('open-bad', (req) =>
      req.afterToolResult ? { text: 'Ungültig.' } : { tools: [{ name: 'mcp__client__open_case', input: { case_id: 'zweiundvierzig' } }] },
    );
    const { events } = await run(FRIDA, { user_message: 'open-bad', client_tools: [OPEN_CASE] }, () => ({ output: 'must not be asked' }));
    expect(kinds(events)).not.toContain('client_tool');
    expect(kinds(events).at(-1)).toBe('end');
    const results = lastResults(agent, 'open-bad');
    expect(results).toContain("The input does not match the tool's schema: input/case_id must be integer");
    expect(results).toContain('"is_error":true');
  });

  it("a session's client tools serve every turn in it; a turn may add its own, not one of the same name", async () => {
    const auth = await t.auth(GUS);
    const created = await t
      .http()
      .post('/api/sessions')
      .set('Authorization', auth)
      .send({ name: 'with-tools', client_tools: [OPEN_CASE] });
    expect(created.status).toBe(201);
    expect(created.body.client_tools).toEqual(['open_case']);
    const sid = created.body.id as string;
    answers.set('session-open', (req) =>
      req.afterToolResult
        ? { text: 'Offen.' }
        : {
            tools: [
              { name: 'mcp__client__open_case', input: { case_id: 7 } },
              { name: 'mcp__client__read_selection', input: {} },
            ],
          },
    );
    const { events } = await run(
      GUS,
      { input: 'session-open', client_tools: [SELECTION] },
      (ev) => ({ output: (ev.data as { name: string }).name === 'open_case' ? 'opened' : 'Fall 7, Frist 3.5.' }),
      `/api/sessions/${sid}/exec`,
    );
    expect(
      events
        .filter((e) => e.event === 'client_tool')
        .map((e) => (e.data as { name: string }).name)
        .sort(),
    ).toEqual(['open_case', 'read_selection']);
    expect(lastResults(agent, 'session-open')).toContain('Fall 7, Frist 3.5.');
    const clash = await t
      .http()
      .post(`/api/sessions/${sid}/exec`)
      .set('Authorization', auth)
      .send({ input: 'x', client_tools: [OPEN_CASE] });
    expect(clash.status).toBe(400);
    expect(clash.body.message).toBe('client_tools[0].name "open_case" is declared by the session already');
    await t.http().post(`/api/sessions/${sid}/checkin`).set('Authorization', auth);
  });

  it('bad declarations are a 400 naming the field', async () => {
    const post = async (client_tools: unknown) =>
      t
        .http()
        .post('/api/paliadin/turn')
        .set('Authorization', await t.auth(GUS))
        .send({ user_message: 'x', client_tools });
    const cases: [unknown, string][] = [
      [[OPEN_CASE, OPEN_CASE], 'client_tools[1].name "open_case" is declared twice'],
      [[{ ...OPEN_CASE, name: 'open case!' }], 'client_tools[0].name must be 1-64 characters of a-z, A-Z, 0-9, _ and -'],
      [[{ ...OPEN_CASE, input_schema: { type: 'object', properties: { a: { type: 'nummer' } } } }], 'client_tools[0].input_schema is not a valid JSON Schema'],
      [[{ ...OPEN_CASE, input_schema: 'object' }], 'client_tools[0].input_schema must be a JSON Schema object'],
      [Array.from({ length: 33 }, (_, i) => ({ ...OPEN_CASE, name: `t${i}` })), 'client_tools may declare at most 32 tools (got 33)'],
      [[{ ...OPEN_CASE, description: 'x'.repeat(65 * 1024) }], 'client_tools must be at most 64 KB in all'],
      [{ open_case: OPEN_CASE }, 'client_tools must be an array'],
    ];
    for (const [tools, message] of cases) {
      const res = await post(tools);
      expect({ status: res.status, message: (res.body.message as string).slice(0, message.length) }).toEqual({ status: 400, message });
    }
  });
});

describe('drivers that cannot ask', () => {
  it.each([
    [{ PALIADIN_BACKEND: 'disabled' }, 'the disabled backend'],
    [{ PALIADIN_BACKEND: 'local', PALIADIN_LOCAL_DRIVER: 'pty', PALIADIN_AGENT_COMMAND: '/bin/true' }, "the local backend's pty driver"],
    // Codex keeps its own rules (its approval policy), and no ACP agent is offered the caller's tools.
    [{ PALIADIN_BACKEND: 'local', PALIADIN_LOCAL_DRIVER: 'acp', PALIADIN_ACP_AGENT: 'codex' }, "the local backend's acp:codex driver"],
  ])('%j: client tools on a turn or session, and session rules, are a 400 saying so', async (env, which) => {
    const { app } = await startTestApp({ env: { PALIADIN_OWNER_EMAILS: '', ...env } });
    try {
      const http = (await import('supertest')).default(app.getHttpServer());
      const auth = `Bearer ${await (await import('../support/tokens.js')).tokenFor(HAL)}`;
      const turn = await http
        .post('/api/paliadin/turn')
        .set('Authorization', auth)
        .send({ user_message: 'x', client_tools: [OPEN_CASE] });
      expect(turn.status).toBe(400);
      expect(turn.body.message).toBe(`client_tools cannot be offered by ${which}: client tools need the local backend's stream-json driver`);
      const rules = await http
        .post('/api/sessions')
        .set('Authorization', auth)
        .send({ name: 'rules', permissions: { ask: ['Write'] } });
      expect(rules.status).toBe(400);
      expect(rules.body.message).toBe(
        `permissions.ask cannot be applied by ${which}, whose agent keeps its own rules: they need the local backend's stream-json driver (or acp with PALIADIN_ACP_AGENT=claude)`,
      );
      const tools = await http
        .post('/api/sessions')
        .set('Authorization', auth)
        .send({ name: 'tools', client_tools: [OPEN_CASE] });
      expect(tools.status).toBe(400);
      expect(tools.body.message).toMatch(/^client_tools cannot be applied by/);
      // Nothing was created or started.
      expect((await http.get('/api/sessions').set('Authorization', auth)).body.sessions).toEqual([]);
    } finally {
      await app.close();
    }
  });
});
