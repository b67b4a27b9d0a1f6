import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { TurnRunners } from '../../../src/paliadin/turn-runners.js';
import { answerText, expectWhole, waitingItsTurn } from '../../support/adoption.js';
import { postTurn, startInstance, stopApps } from '../../support/app-process.js';
import { startClaudeAgent, writeAnswer, type ClaudeAgentFixture } from '../../support/claude-agent.js';
import { isolatedDatabase } from '../../support/isolated-database.js';
import { kinds, startBackendApp, type TurnApp } from '../../support/pipeline-app.js';
import { shimEnvFor, startSshd, type SshdFixture } from '../../support/sshd.js';
import { SHARED_HEARTBEAT_MS } from '../../support/test-app.js';
import { waitUntil } from '../../support/wait.js';

// Both instances say they are alive this often (the suites' shared beat: a busy B must not be taken for dead before
// it is killed); the ssh round trip's bound is for a machine busy with the whole suite.
const INSTANCE = { PALIADIN_RUNNER_HEARTBEAT_MS: SHARED_HEARTBEAT_MS, PALIADIN_THINKING_INTERVAL_MS: '200', PALIADIN_HEALTH_TIMEOUT_MS: '15000' };

/** The main-loop model requests whose newest user message carries the turn's envelope (their text, to show). */
const promptsOf = (agent: ClaudeAgentFixture, turnId: string) =>
  agent.model.requests.filter((r) => r.body.tools?.length && !r.afterToolResult && r.userText.includes(`[PALIADIN:${turnId} `)).map((r) => r.userText);

/**
 * An accepted turn always runs (docs/event-log.md, "When an instance dies"),
 * with the remote backend: the agent lives on its host behind a real sshd,
 * not in the instance. B runs a user's turn that the agent is still working
 * on, with the user's next turn waiting behind it, and is killed with
 * SIGKILL. A takes the waiting turn over and sends it to the same agent;
 * the turn that was running ends interrupted and its answer arrives late.
 */
describe('remote: the turn a dead instance had queued is sent by another', () => {
  let agent: ClaudeAgentFixture;
  let sshd: SshdFixture;
  let a: TurnApp;
  // A database of its own: another suite's janitor must not take this one's orphans.
  let database: Awaited<ReturnType<typeof isolatedDatabase>>;
  let releaseHeld!: () => void;
  const held = new Promise<void>((r) => (releaseHeld = r));

  beforeAll(async () => {
    agent = await startClaudeAgent((e) =>
      e.message === 'held at the kill' ? writeAnswer(e, 'Spät, aber da.', { hold: held }) : writeAnswer(e, `Antwort: ${e.message}`),
    );
    sshd = await startSshd(shimEnvFor(agent));
    database = await isolatedDatabase();
    a = await startBackendApp({ ...sshd.env(), ...INSTANCE, DATABASE_URL: database.url, PALIADIN_JANITOR_INTERVAL_MS: '100', PALIADIN_QUEUE_POLL_MS: '50' });
  });
  afterEach(stopApps);
  afterAll(async () => {
    releaseHeld?.();
    await a?.app.close();
    await sshd?.cleanup();
    await agent?.stop();
    await database?.drop();
  });

  it('SIGKILL: the queued turn is answered through A exactly once; the running one ends interrupted and is answered late', async () => {
    const email = 'adopt-remote@example.com';
    const b = await startInstance({ ...sshd.env(), ...INSTANCE, DATABASE_URL: database.url });
    const running = await postTurn(b.url, email, { user_message: 'held at the kill' });
    const queued = await postTurn(b.url, email, { user_message: 'waiting at the kill' });
    await waitUntil(() => agent.envelopes().some((e) => e.message === 'held at the kill'), 60_000, 'the held message at the model');
    await waitingItsTurn(a, queued);
    const reading = a.read(email, queued, { timeoutMs: 90_000, dropPings: true });
    b.child.kill('SIGKILL');
    // The agent, on its own host, did not die with B: it finishes the turn it had.
    releaseHeld();

    const read = await reading;
    expectWhole(read.events);
    expect(read.events[1]).toMatchObject({ event: 'thinking', data: { queued: true } });
    // An error here says which (the whole event).
    expect(read.events.find((e) => e.event === 'error')).toBeUndefined();
    expect(kinds(read.events).at(-1)).toBe('end');
    expect(answerText(read.events)).toBe('Antwort: waiting at the kill');
    // Typed into the agent's pane once: the model's main loop was asked with its envelope once.
    expect(promptsOf(agent, queued)).toHaveLength(1);
    const db = a.app.get(DataSource);
    const [row] = await db.query(`SELECT runner_id, error_code FROM paliadin_turns WHERE turn_id = $1`, [queued]);
    expect(row).toEqual({ runner_id: a.app.get(TurnRunners).runnerId, error_code: null });
    // The running one had reached the agent: interrupted, never sent again, its answer recovered late.
    await waitUntil(
      async () => (await db.query(`SELECT response FROM paliadin_turns WHERE turn_id = $1`, [running]))[0].response !== null,
      60_000,
      'the late answer of the running turn',
    );
    const [late] = await db.query(`SELECT response FROM paliadin_turns WHERE turn_id = $1`, [running]);
    expect(late.response).toBe('Spät, aber da.');
    expect(promptsOf(agent, running)).toHaveLength(1);
  });
});
