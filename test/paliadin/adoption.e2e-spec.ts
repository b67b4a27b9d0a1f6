import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { TurnRunners } from '../../src/paliadin/turn-runners.js';
import { freePort } from '../../src/database/embedded-postgres.js';
import { answerText, expectWhole, waitingItsTurn } from '../support/adoption.js';
import { postTurn, startInstance, stopApps } from '../support/app-process.js';
import { FakeAichat, frame } from '../support/fake-aichat.js';
import { isolatedDatabase } from '../support/isolated-database.js';
import { kinds, startBackendApp, type TurnApp } from '../support/pipeline-app.js';
import { waitUntil } from '../support/wait.js';

/**
 * An accepted turn always runs (docs/event-log.md, "When an instance dies"):
 * instance B, a real process, accepts three turns of one user (one agent
 * session: they run one after the other), and is killed with SIGKILL while
 * the second streams and the third waits. A, another instance on the same
 * Postgres, takes the third over and runs it; the second, which aichat had,
 * ends interrupted.
 */
describe('aichat: the turns a dead instance accepted but never sent are run by another', () => {
  let fake: FakeAichat;
  let a: TurnApp;
  let env: Record<string, string>;
  // A database of its own: another suite's janitor must not take this one's orphans.
  let db: Awaited<ReturnType<typeof isolatedDatabase>>;

  beforeAll(async () => {
    fake = new FakeAichat();
    await fake.start();
    // "zwei" streams a word and then hangs, as long as its instance lives; the others answer at once.
    fake.script = (body, f) => {
      if (body.message.startsWith('zwei')) {
        const conv = f.record(body, 'Antwort zwei');
        return { stream: [frame({ type: 'conversation', conversation_id: conv.id }), frame({ type: 'chunk', content: 'Antwort ' }), { hang: true }] };
      }
      return f.happy(body, `Antwort auf: ${body.message}`);
    };
    db = await isolatedDatabase();
    env = {
      DATABASE_URL: db.url,
      PALIADIN_BACKEND: 'aichat',
      PALIADIN_AICHAT_URL: fake.url,
      PALIADIN_AICHAT_TOKEN: fake.token,
      PALIADIN_THINKING_INTERVAL_MS: '200',
    };
    a = await startBackendApp({ ...env, PALIADIN_JANITOR_INTERVAL_MS: '100', PALIADIN_QUEUE_POLL_MS: '50' });
  });
  afterEach(stopApps);
  afterAll(async () => {
    await a?.app.close();
    await fake?.stop();
    await db?.drop();
  });

  /** Three turns posted to `url` at once; resolves once "zwei" streams and "drei" waits its turn. */
  async function threeTurns(url: string, email: string, tag: string) {
    const ids = [];
    for (const word of ['eins', 'zwei', 'drei']) ids.push(await postTurn(url, email, { user_message: `${word} ${tag}` }));
    const [, two, three] = ids;
    await waitUntil(() => fake.turnBodies().some((b) => b.message === `zwei ${tag}`), 20_000, '"zwei" at aichat');
    await waitingItsTurn(a, three);
    return { two, three };
  }

  it("SIGKILL: the waiting turn runs on the other instance, its reader's stream going on to the answer, exactly once", async () => {
    const email = 'adopt-aichat@example.com';
    const b = await startInstance(env);
    const { two, three } = await threeTurns(b.url, email, 'k');
    // A reader of the waiting turn, on A, from before the kill to the end.
    const reading = a.read(email, three, { timeoutMs: 30_000, dropPings: true });
    b.child.kill('SIGKILL');
    const read = await reading;
    expectWhole(read.events);
    const ks = kinds(read.events);
    // Queued while it waited (on B, then on A), then the answer.
    expect(ks.slice(0, 2)).toEqual(['meta', 'thinking']);
    expect(read.events[1].data).toMatchObject({ queued: true });
    // An error here says which (the whole event).
    expect(read.events.find((e) => e.event === 'error')).toBeUndefined();
    expect(ks.at(-1)).toBe('end');
    expect(answerText(read.events)).toBe('Antwort auf: drei k');
    expect(fake.turnBodies().filter((x) => x.message === 'drei k')).toHaveLength(1);
    const [row] = await a.app.get(DataSource).query(`SELECT runner_id, error_code, response FROM paliadin_turns WHERE turn_id = $1`, [three]);
    expect(row).toEqual({ runner_id: a.app.get(TurnRunners).runnerId, error_code: null, response: 'Antwort auf: drei k' });
    // The one aichat had ends interrupted (and its answer comes late, from aichat's store).
    const second = await a.read(email, two, { timeoutMs: 30_000, dropPings: true });
    expect(second.events.find((e) => e.event === 'error')?.data).toMatchObject({ code: 'interrupted', retryable: true });
  });

  it('a waiting turn accepted for other agents (another backend) is not taken over: it ends interrupted, saying it never started', async () => {
    const email = 'adopt-other@example.com';
    const b = await startInstance(env);
    const { three } = await threeTurns(b.url, email, 'o');
    // As if B served another backend: A (aichat) must not send B's turn to its own agents.
    await a.app.get(DataSource).query(`UPDATE paliadin_turns SET backend = 'remote' WHERE turn_id = $1`, [three]);
    const reading = a.read(email, three, { timeoutMs: 30_000, dropPings: true });
    b.child.kill('SIGKILL');
    const read = await reading;
    expectWhole(read.events);
    expect(read.events.find((e) => e.event === 'error')?.data).toMatchObject({
      code: 'interrupted',
      retryable: true,
      message: expect.stringMatching(/before the turn started/),
    });
    expect(fake.turnBodies().some((x) => x.message === 'drei o')).toBe(false);
    const [row] = await a.app.get(DataSource).query(`SELECT runner_id FROM paliadin_turns WHERE turn_id = $1`, [three]);
    expect(row.runner_id).not.toBe(a.app.get(TurnRunners).runnerId);
  });

  it('two instances never both run a turn: B paused (SIGSTOP) between claiming a turn and sending it, A takes it over, B woken', async () => {
    const email = 'adopt-stop@example.com';
    const metricsPort = await freePort();
    // Paused in the middle of a transaction, B would hold its locks until woken: Postgres ends a transaction idle this long.
    // aichat "down" while B starts, so that B has no health it may trust yet: its turn's gate asks again.
    const healthy = fake.health;
    fake.health = { status: 503, body: { ok: false } };
    const b = await startInstance({ ...env, PALIADIN_METRICS_PORT: String(metricsPort), PALIADIN_DB_IDLE_TX_TIMEOUT_MS: '1000' }, { anyHealth: true });
    fake.health = healthy;
    // B's turn passes its health gate (claimed, not yet handed over): that is when B freezes, once it has
    // answered the POST (the gate may ask before the answer is out).
    let paused = false;
    let answered!: () => void;
    const postAnswered = new Promise<void>((r) => (answered = r));
    fake.onHealth = async () => {
      if (!paused) {
        paused = true;
        await postAnswered;
        process.kill(b.child.pid!, 'SIGSTOP');
      }
    };
    let turnId: string;
    try {
      turnId = await postTurn(b.url, email, { user_message: 'allein s' });
      answered();
      const db = a.app.get(DataSource);
      await waitUntil(
        async () => (await db.query(`SELECT finished_at FROM paliadin_turns WHERE turn_id = $1`, [turnId]))[0].finished_at !== null,
        30_000,
        'the turn run on A',
      );
    } finally {
      answered();
      fake.onHealth = undefined;
      process.kill(b.child.pid!, 'SIGCONT');
    }
    expect(paused).toBe(true);
    // Woken, B finds the turn is not its own any more (its hand-over, events and end refused) and lets it go unsent.
    const live = async () => /^paliadin_live_turns (\d+)$/m.exec(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text())?.[1];
    await waitUntil(async () => (await live()) === '0', 20_000, 'B to let its turn go');
    const read = await a.read(email, turnId, { timeoutMs: 10_000, dropPings: true });
    expect(read.events.find((e) => e.event === 'error')?.data).toBeUndefined();
    expect(fake.turnBodies().filter((x) => x.message === 'allein s')).toHaveLength(1);
    expectWhole(read.events);
    expect(answerText(read.events)).toBe('Antwort auf: allein s');
    const [row] = await a.app.get(DataSource).query(`SELECT runner_id FROM paliadin_turns WHERE turn_id = $1`, [turnId]);
    expect(row.runner_id).toBe(a.app.get(TurnRunners).runnerId);
  });
});
