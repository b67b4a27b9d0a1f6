import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ModelReply, ModelRequest } from '../../src/backends/local/scripted-model.js';
import { agentSessionName } from '../../src/contract/agent-session.js';
import { startStreamJsonAgent, type StreamJsonAgentFixture } from '../support/claude-agent.js';
import { kinds, startBackendApp, type TurnApp } from '../support/pipeline-app.js';
import { answerRequest, requestIdOf, resolvedOf } from '../support/requests.js';
import type { SseEvent } from '../support/sse-client.js';
import { subFor } from '../support/tokens.js';

const ALICE = 'ask-alice@example.com';

/** What the scripted model does per message marker. */
const answers = new Map<string, (req: ModelRequest) => ModelReply | undefined>();
const conversation = (req: ModelRequest) => JSON.stringify(req.body.messages);

describe('permission requests: the real Claude Code asks, the caller answers (stream-json)', () => {
  let agent: StreamJsonAgentFixture;
  let t: TurnApp;
  const workspace = (email: string) => path.join(agent.workspaces, agentSessionName(agent.env.PALIADIN_SESSION_PREFIX, subFor(email)));

  beforeAll(async () => {
    agent = await startStreamJsonAgent((req) => {
      const text = req.afterToolResult ? conversation(req) : req.userMessage;
      const found = [...answers.keys()].map((m) => [m, text.lastIndexOf(m)] as const).filter(([, at]) => at >= 0);
      const marker = found.sort((a, b) => b[1] - a[1])[0]?.[0];
      return marker ? answers.get(marker)!(req) : undefined;
    });
    t = await startBackendApp({ ...agent.env, PALIADIN_AGENT_ASK: 'Write', PALIADIN_THINKING_INTERVAL_MS: '200' });
  });

  afterAll(async () => {
    await t?.app.close();
    await agent?.stop();
  });

  /** Asks, and answers the first request of the turn with `body` once it shows. */
  async function askAndAnswer(email: string, message: string, body: Record<string, unknown>) {
    const turnId = await t.ask(email, { user_message: message });
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
});
