import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { PALIADIN_BACKEND } from '../../../src/backends/backend.interface.js';
import type { PtyLocalBackend as LocalBackend } from '../../../src/backends/local/pty/pty.backend.js';
import { agentSessionName, firstAgentTag } from '../../../src/contract/agent-session.js';
import { startClaudeAgent, writeAnswer, type ClaudeAgentFixture } from '../../support/claude-agent.js';
import { kinds, startBackendApp, type TurnApp } from '../../support/pipeline-app.js';
import { subFor } from '../../support/tokens.js';
import { waitUntil } from '../../support/wait.js';
import { testTempDir } from '../../support/temp-dirs.js';

const USER = 'broken@example.com';
const session = (email: string) => agentSessionName('paliad-paliadin', firstAgentTag(subFor(email)));

describe('local backend: an agent that cannot start', () => {
  let t: TurnApp | undefined;
  afterEach(async () => {
    await t?.app.close();
    t = undefined;
  });

  const failWith = async (env: Record<string, string>) => {
    // A key (never used) so that the agent's start, not the missing credentials, is what fails.
    t = await startBackendApp({
      PALIADIN_BACKEND: 'local',
      PALIADIN_LOCAL_DRIVER: 'pty',
      PALIADIN_AGENT_START_TIMEOUT_MS: '500',
      ANTHROPIC_API_KEY: 'sk-test-unused',
      ...env,
    });
    const turnId = await t.ask(USER);
    const read = await t.read(USER, turnId, { dropPings: true, timeoutMs: 15_000 });
    const row = (
      await t
        .http()
        .get(`/api/paliadin/turns/${turnId}`)
        .set('Authorization', await t.auth(USER))
    ).body;
    return { error: read.events.at(-1)!, kinds: kinds(read.events), row };
  };

  it('a command that does not exist: tmux_unavailable naming it, and health is down', async () => {
    const r = await failWith({ PALIADIN_AGENT_COMMAND: '/nonexistent/claude' });
    expect(r.kinds).toEqual(['meta', 'error']);
    expect(r.error.data).toMatchObject({ code: 'tmux_unavailable' });
    expect((r.error.data as { message: string }).message).toContain('"/nonexistent/claude" was not found');
    expect(r.row.error_code).toBe('tmux_unavailable');
    const health = await t!.http().get('/health');
    expect(health.status).toBe(503);
    expect(health.body.error.backend.detail).toContain('/nonexistent/claude');
  });

  it('a command that exits at once: tmux_unavailable with its exit code', async () => {
    // A start timeout it cannot reach: the exit, however late a busy machine reports it, is what fails the turn.
    const r = await failWith({ PALIADIN_AGENT_COMMAND: 'false', PALIADIN_AGENT_START_TIMEOUT_MS: '10000' });
    expect(r.error.data).toMatchObject({ code: 'tmux_unavailable' });
    expect((r.error.data as { message: string }).message).toMatch(/exited \(code 1\) before showing its prompt/);
  });

  it('an agent that never shows its prompt: tmux_unavailable after the start timeout, and no process is left', async () => {
    const r = await failWith({ PALIADIN_AGENT_COMMAND: 'cat' });
    expect(r.error.data).toMatchObject({ code: 'tmux_unavailable' });
    expect((r.error.data as { message: string }).message).toContain('did not show its prompt within 0.5 s');
    const backend = t!.app.get<LocalBackend>(PALIADIN_BACKEND);
    expect(backend.pool.size).toBe(0);
  });

  it('no Anthropic credentials (production): health is down and says why, and a turn fails saying so', async () => {
    const home = testTempDir('paliadin-nocreds-');
    const r = await failWith({ PALIADIN_AGENT_COMMAND: 'cat', PALIADIN_AGENT_HOME: home, ANTHROPIC_API_KEY: '', NODE_ENV: 'production' });
    expect(r.error.data).toMatchObject({
      code: 'tmux_unavailable',
      message: 'The agent cannot answer: no Anthropic credentials: set ANTHROPIC_API_KEY or log in with claude',
    });
    const health = await t!.http().get('/health');
    expect(health.status).toBe(503);
    expect(health.body.error.backend).toMatchObject({ status: 'down', detail: 'no Anthropic credentials: set ANTHROPIC_API_KEY or log in with claude' });

    // Logging in with claude (its stored login in the agent's HOME) counts at once, without a restart.
    mkdirSync(path.join(home, '.claude'));
    writeFileSync(path.join(home, '.claude', '.credentials.json'), '{}');
    expect((await t!.http().get('/health')).body.info.backend.status).toBe('up');
  });

  it('a response directory with a space is refused at boot', async () => {
    const dir = path.join(testTempDir('paliadin-'), 'with space');
    await expect(startBackendApp({ PALIADIN_BACKEND: 'local', PALIADIN_LOCAL_DRIVER: 'pty', PALIADIN_RESPONSE_DIR: dir })).rejects.toThrow(
      /PALIADIN_RESPONSE_DIR must not contain spaces/,
    );
  });
});

describe('local backend: pane limit and cancel', () => {
  let agent: ClaudeAgentFixture;
  let t: TurnApp;
  let backend: LocalBackend;
  const holds = new Map<string, Promise<void>>();

  beforeAll(async () => {
    agent = await startClaudeAgent((e) => writeAnswer(e, `answer to ${e.message}`, { hold: holds.get(e.message) }));
    t = await startBackendApp({ ...agent.env, PALIADIN_MAX_PANES: '1' });
    backend = t.app.get(PALIADIN_BACKEND);
  });

  afterAll(async () => {
    await t?.app.close();
    await agent?.stop();
  });

  const answer = async (email: string, message: string) => {
    const turnId = await t.ask(email, { user_message: message });
    try {
      return (await t.read(email, turnId, { dropPings: true, timeoutMs: 30_000 })).events;
    } catch (e) {
      throw new Error(`${(e as Error).message}\nagent screen:\n${backend.pool.agentOf(session(email))?.tail(15)}`, { cause: e });
    }
  };

  it('beyond PALIADIN_MAX_PANES the least recently used idle pane is closed; a busy one is waited for', async () => {
    expect((await answer('a@example.com', 'first a')).at(-1)?.event).toBe('end');
    const pidA = backend.pool.pidOf(session('a@example.com'));
    expect(pidA).toBeDefined();

    expect((await answer('b@example.com', 'first b')).at(-1)?.event).toBe('end');
    expect(backend.pool.pidOf(session('a@example.com'))).toBeUndefined();
    expect(backend.pool.size).toBe(1);

    // B's pane is busy (held): A must wait for it rather than go past the limit.
    let release!: () => void;
    holds.set('held b', new Promise<void>((r) => (release = r)));
    const heldB = await t.ask('b@example.com', { user_message: 'held b' });
    await waitUntil(() => agent.envelopes().some((e) => e.turnId === heldB), 20_000, "B's held turn to reach the model");
    const aTurn = await t.ask('a@example.com', { user_message: 'second a' });
    const aRead = t.read('a@example.com', aTurn, { dropPings: true, timeoutMs: 30_000 });
    expect(backend.pool.size).toBe(1);
    release();
    expect((await aRead).events.at(-1)?.event).toBe('end');
    const order = agent.envelopes().map((e) => e.turnId);
    expect(order.indexOf(aTurn)).toBeGreaterThan(order.indexOf(heldB));
    expect(backend.pool.size).toBe(1);
  });

  it('cancel stops the agent mid-turn (Escape), and the same agent answers the next turn', async () => {
    const email = 'c@example.com';
    holds.set('never answered', new Promise<void>(() => undefined));
    const turnId = await t.ask(email, { user_message: 'never answered' });
    await waitUntil(() => agent.envelopes().some((e) => e.turnId === turnId), 20_000, 'the turn to reach the model');
    const pid = backend.pool.pidOf(session(email));
    const cancelled = await t
      .http()
      .post(`/api/paliadin/turns/${turnId}/cancel`)
      .set('Authorization', await t.auth(email));
    expect(cancelled.body.error_code).toBe('cancelled');
    const next = await answer(email, 'after cancel');
    expect(next.find((e) => e.event === 'content')?.data).toEqual({ text: 'answer to after cancel' });
    expect(backend.pool.pidOf(session(email))).toBe(pid);
  });
});

describe('local backend: environment', () => {
  it('the agent does not inherit the service secrets', async () => {
    // An "agent" that prints its environment as its screen and then shows a prompt line.
    const dir = testTempDir('paliadin-envagent-');
    const script = path.join(dir, 'agent.sh');
    writeFileSync(
      script,
      '#!/bin/sh\nenv | grep -E "^(ANTHROPIC_API_KEY|DISABLE_TELEMETRY|PALIADIN_|[A-Z_]*DATABASE_URL|[A-Z_]*SECRET)" | tr "\\n" " "\nprintf "\\n──────────────\\n❯ \\n"\nexec cat\n',
      { mode: 0o755 },
    );
    // Secrets in this process's environment, as a deployment would have them.
    Object.assign(process.env, { PALIADIN_JWT_SECRET: 'x'.repeat(40), DATABASE_URL: 'postgres://u:p@h/db', SOME_SECRET: 's' });
    const t = await startBackendApp({
      PALIADIN_BACKEND: 'local',
      PALIADIN_LOCAL_DRIVER: 'pty',
      PALIADIN_AGENT_COMMAND: script,
      ANTHROPIC_API_KEY: 'sk-visible-to-agent',
    });
    try {
      const backend = t.app.get<LocalBackend>(PALIADIN_BACKEND);
      const pane = await backend.pool.acquire('env-check', new AbortController().signal, undefined);
      const screen = pane.screen().join('');
      expect(screen).toContain('ANTHROPIC_API_KEY=sk-visible-to-agent');
      expect(screen).toContain('DISABLE_TELEMETRY=1');
      expect(screen).not.toMatch(/PALIADIN_|DATABASE_URL|SECRET/);
      backend.pool.release('env-check');
    } finally {
      delete process.env.PALIADIN_JWT_SECRET;
      delete process.env.DATABASE_URL;
      delete process.env.SOME_SECRET;
      await t.app.close();
    }
  });
});
