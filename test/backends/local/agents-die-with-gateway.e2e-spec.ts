import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { startTimeOf } from '../../../src/backends/local/process-group.js';
import { logged, postTurn, startInstance, stopApps } from '../../support/app-process.js';
import { startClaudeAgent, startStreamJsonAgent, writeAnswer } from '../../support/claude-agent.js';
import { descendants, killAll, running } from '../../support/process.js';
import { testTempDir } from '../../support/temp-dirs.js';
import { waitUntil } from '../../support/wait.js';

// The bound: every agent a dead gateway started is gone within 2 s.
const GONE_WITHIN_MS = 2_000;
const stops: (() => Promise<void>)[] = [];

afterEach(async () => {
  await stopApps();
  for (const stop of stops.splice(0).reverse()) await stop();
});

/** The agent processes an instance recorded as live (pids), once there are `n`. */
async function recordedAgents(dataDir: string, n: number): Promise<number[]> {
  const dir = path.join(dataDir, 'agents');
  let pids: number[] = [];
  await waitUntil(
    () => {
      pids = readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .map((f) => (JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as { pid: number }).pid);
      return pids.length >= n;
    },
    30_000,
    `${n} agents recorded in ${dir}`,
  );
  return pids;
}

/** SIGKILLs the gateway alone and measures until every process it had below it is gone. */
async function killGatewayAndTime(gateway: number): Promise<{ ms: number; tree: number[] }> {
  const tree = descendants(gateway);
  process.kill(gateway, 'SIGKILL');
  await waitUntil(() => !running(gateway), 5_000, 'the gateway gone');
  const since = Date.now();
  await waitUntil(() => tree.every((pid) => !running(pid)), 30_000, `the agents of ${gateway} gone`).catch((e: unknown) => {
    killAll(tree);
    throw e;
  });
  return { ms: Date.now() - since, tree };
}

describe('agents die with their gateway (SIGKILL of the gateway alone)', () => {
  it('stream-json: the agent, busy in a turn, and its processes are gone within 2 s', async () => {
    const agent = await startStreamJsonAgent(() => ({ text: 'never', hold: new Promise(() => undefined) }));
    stops.push(() => agent.stop());
    const { child, url, dataDir } = await startInstance(agent.env);
    await postTurn(url, 'reap-sj@example.com', { user_message: 'hold on' });
    await waitUntil(() => agent.turns().some((r) => r.userMessage === 'hold on'), 30_000, 'the message at the model');
    const [pid] = await recordedAgents(dataDir, 1);
    expect(descendants(child.pid!)).toContain(pid);
    const { ms, tree } = await killGatewayAndTime(child.pid!);
    expect(tree).toContain(pid);
    expect(ms).toBeLessThanOrEqual(GONE_WITHIN_MS);
  });

  it('pty: the agent in its pane is gone within 2 s', async () => {
    const agent = await startClaudeAgent((e) => writeAnswer(e, 'never', { hold: new Promise(() => undefined) }));
    stops.push(() => agent.stop());
    const { child, url, dataDir } = await startInstance(agent.env);
    await postTurn(url, 'reap-pty@example.com', { user_message: 'hold on' });
    await waitUntil(() => agent.envelopes().some((e) => e.message === 'hold on'), 30_000, 'the message at the model');
    const [pid] = await recordedAgents(dataDir, 1);
    const { ms, tree } = await killGatewayAndTime(child.pid!);
    expect(tree).toContain(pid);
    expect(ms).toBeLessThanOrEqual(GONE_WITHIN_MS);
  });
});

describe('agents an earlier run left behind', () => {
  /** A stand-in agent: a process group of its own, as the drivers start them. */
  function standIn(): number {
    const p = spawn('sleep', ['600'], { detached: true, stdio: 'ignore' });
    p.unref();
    stops.push(() => {
      killAll([p.pid!]);
      return Promise.resolve();
    });
    return p.pid!;
  }

  it("are ended when an instance starts on the same data directory: never a reused pid, never a live gateway's", async () => {
    const agent = await startStreamJsonAgent();
    stops.push(() => agent.stop());
    const dataDir = testTempDir('paliadin-reap-');
    const dir = path.join(dataDir, 'agents');
    mkdirSync(dir, { recursive: true });
    // A gateway that is gone: a process that has exited.
    const gone = spawn('true');
    await new Promise((r) => gone.once('exit', r));
    const record = (pid: number, start: string, gateway: { pid: number; start: string }) =>
      writeFileSync(path.join(dir, `${pid}.json`), JSON.stringify({ pid, start, gateway }));
    const deadGateway = { pid: gone.pid!, start: '1' };
    const orphan = standIn();
    record(orphan, startTimeOf(orphan)!, deadGateway);
    // The same pid, but another start time: a pid the system gave to another process since.
    const reused = standIn();
    record(reused, String(Number(startTimeOf(reused)) - 1), deadGateway);
    // A gateway still running (this test process): another instance's agent.
    const others = standIn();
    record(others, startTimeOf(others)!, { pid: process.pid, start: startTimeOf(process.pid)! });

    const { child } = await startInstance(agent.env, { dataDir });
    expect(running(orphan)).toBe(false);
    expect(running(reused)).toBe(true);
    expect(running(others)).toBe(true);
    expect(logged(child)).toContain(`ending agent process ${orphan}, left behind by an earlier run`);
    // The left-behind records are gone; the live gateway's stays.
    expect(readdirSync(dir).sort()).toEqual([`${others}.json`]);
  });
});
