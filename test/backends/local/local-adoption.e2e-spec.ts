import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import type { ModelRequest } from '../../../src/backends/local/scripted-model.js';
import { TurnRunners } from '../../../src/paliadin/turn-runners.js';
import { answerText, expectWhole, waitingItsTurn } from '../../support/adoption.js';
import { postTurn, startInstance, stopApps } from '../../support/app-process.js';
import { conversationOf, startClaudeAgent, startStreamJsonAgent, writeAnswer } from '../../support/claude-agent.js';
import { isolatedDatabase } from '../../support/isolated-database.js';
import { kinds, startBackendApp, type TurnApp } from '../../support/pipeline-app.js';
import { SHARED_HEARTBEAT_MS } from '../../support/test-app.js';
import { waitUntil } from '../../support/wait.js';

const NEVER = new Promise<void>(() => undefined);
// Both instances say they are alive this often, and take a turn over after missing three: at the
// suites' shared beat, not shorter, so that B busy starting Claude Code is not taken for dead before it is killed.
const HEARTBEAT = { PALIADIN_RUNNER_HEARTBEAT_MS: SHARED_HEARTBEAT_MS, PALIADIN_THINKING_INTERVAL_MS: '200' };
const JANITOR = { ...HEARTBEAT, PALIADIN_JANITOR_INTERVAL_MS: '100', PALIADIN_QUEUE_POLL_MS: '50' };

/**
 * An accepted turn always runs (docs/event-log.md, "When an instance dies"),
 * with the real Claude Code: instance B, its own process, runs a user's turn
 * that the model holds, with the user's next turn waiting behind it, and is
 * killed with SIGKILL. A, on the same Postgres and the same agent HOME,
 * takes the waiting turn over and runs it in the conversation as it stands.
 */
describe('stream-json: the turn a dead instance had queued runs on another, in the same conversation', () => {
  let agent: Awaited<ReturnType<typeof startStreamJsonAgent>>;
  let a: TurnApp;
  // A database of its own: another suite's janitor must not take this one's orphans.
  let db: Awaited<ReturnType<typeof isolatedDatabase>>;

  beforeAll(async () => {
    agent = await startStreamJsonAgent((req: ModelRequest) => {
      if (req.userMessage.startsWith('remember ')) return { text: `Noted: ${req.userMessage.slice(9)}.` };
      if (req.userMessage === 'held at the kill') return { text: 'never', hold: NEVER };
      return undefined;
    });
    db = await isolatedDatabase();
    a = await startBackendApp({ ...agent.env, ...JANITOR, DATABASE_URL: db.url });
  });
  afterEach(stopApps);
  afterAll(async () => {
    await a?.app.close();
    await agent?.stop();
    await db?.drop();
  });

  it('SIGKILL: the held turn ends interrupted, the queued one is answered on A exactly once, resuming the conversation', async () => {
    const email = 'adopt-sj@example.com';
    const b = await startInstance({ ...agent.env, ...HEARTBEAT, DATABASE_URL: db.url });
    const first = await postTurn(b.url, email, { user_message: 'remember Papaya' });
    expect(kinds((await a.read(email, first, { timeoutMs: 60_000, dropPings: true })).events).at(-1)).toBe('end');

    const held = await postTurn(b.url, email, { user_message: 'held at the kill' });
    const queued = await postTurn(b.url, email, { user_message: 'which fruit?' });
    await waitUntil(() => agent.turns().some((r) => r.userMessage === 'held at the kill'), 30_000, 'the held message at the model');
    await waitingItsTurn(a, queued);
    const reading = a.read(email, queued, { timeoutMs: 60_000, dropPings: true });
    b.child.kill('SIGKILL');

    const read = await reading;
    expectWhole(read.events);
    expect(read.events[1]).toMatchObject({ event: 'thinking', data: { queued: true } });
    expect(kinds(read.events).at(-1)).toBe('end');
    expect(answerText(read.events)).toBe(`Echo: ${'which fruit?'.length} chars`);
    const asked = agent.turns().filter((r) => r.userMessage === 'which fruit?');
    expect(asked).toHaveLength(1);
    // Resumed on A: the model sees the conversation B's agent had.
    expect(conversationOf(asked[0])).toContain('Noted: Papaya.');
    const [row] = await a.app.get(DataSource).query(`SELECT runner_id, error_code FROM paliadin_turns WHERE turn_id = $1`, [queued]);
    expect(row).toEqual({ runner_id: a.app.get(TurnRunners).runnerId, error_code: null });
    // The held one had reached the agent: it ends interrupted, never run again.
    const heldRead = await a.read(email, held, { timeoutMs: 30_000, dropPings: true });
    expect(heldRead.events.find((e) => e.event === 'error')?.data).toMatchObject({ code: 'interrupted', retryable: true });
    expect(agent.turns().filter((r) => r.userMessage === 'held at the kill')).toHaveLength(1);
  });
});

/**
 * pty agents live in their instance's terminal panes: a turn that never
 * started there cannot run elsewhere. It ends interrupted, saying so, and
 * may be asked again.
 */
describe('pty: the turn a dead instance had queued ends interrupted, saying it never started', () => {
  let agent: Awaited<ReturnType<typeof startClaudeAgent>>;
  let a: TurnApp;
  // A database of its own: another suite's janitor must not take this one's orphans.
  let db: Awaited<ReturnType<typeof isolatedDatabase>>;

  beforeAll(async () => {
    agent = await startClaudeAgent((e) =>
      e.message === 'held at the kill' ? writeAnswer(e, 'never', { hold: NEVER }) : writeAnswer(e, `Antwort: ${e.message}`),
    );
    db = await isolatedDatabase();
    a = await startBackendApp({ ...agent.env, ...JANITOR, DATABASE_URL: db.url });
  });
  afterEach(stopApps);
  afterAll(async () => {
    await a?.app.close();
    await agent?.stop();
    await db?.drop();
  });

  it('SIGKILL: the queued turn is not run anywhere, and its stream says it never started (retryable)', async () => {
    const email = 'adopt-pty@example.com';
    const b = await startInstance({ ...agent.env, ...HEARTBEAT, DATABASE_URL: db.url });
    const held = await postTurn(b.url, email, { user_message: 'held at the kill' });
    const queued = await postTurn(b.url, email, { user_message: 'never started' });
    await waitUntil(() => agent.envelopes().some((e) => e.message === 'held at the kill'), 30_000, 'the held message at the model');
    await waitingItsTurn(a, queued);
    const reading = a.read(email, queued, { timeoutMs: 30_000, dropPings: true });
    b.child.kill('SIGKILL');

    const read = await reading;
    expectWhole(read.events);
    const error = read.events.find((e) => e.event === 'error');
    expect(error?.data).toMatchObject({ code: 'interrupted', retryable: true });
    expect((error?.data as { message: string }).message).toMatch(/before the turn started/);
    expect(answerText(read.events)).toBe('');
    expect(agent.envelopes().some((e) => e.message === 'never started')).toBe(false);
    const heldRead = await a.read(email, held, { timeoutMs: 30_000, dropPings: true });
    expect(heldRead.events.find((e) => e.event === 'error')?.data).toMatchObject({ code: 'interrupted' });
  });
});
