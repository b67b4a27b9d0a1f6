import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { PALIADIN_BACKEND } from '../../../src/backends/backend.interface.js';
import type { ModelReply, ModelRequest } from '../../../src/backends/local/scripted-model.js';
import type { StreamJsonLocalBackend } from '../../../src/backends/local/stream-json/stream-json.backend.js';
import { agentSessionName, firstAgentTag } from '../../../src/contract/agent-session.js';
import { startStreamJsonAgent, type StreamJsonAgentFixture } from '../../support/claude-agent.js';
import { kinds, startBackendApp, type TurnApp } from '../../support/pipeline-app.js';
import { subFor } from '../../support/tokens.js';
import { waitUntil } from '../../support/wait.js';

const conversation = (req: ModelRequest) => JSON.stringify(req.body.messages);
const text = (events: { event: string; data: unknown }[]) =>
  events
    .filter((e) => e.event === 'content')
    .map((e) => (e.data as { delta: string }).delta)
    .join('');

/** The agent's command line, from /proc. */
const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
/** A flag's value in an argument list, as `--name value` or `--name=value`. */
function flag(args: string[], name: string): string | undefined {
  const i = args.findIndex((a) => a === name || a.startsWith(`${name}=`));
  return i < 0 ? undefined : args[i] === name ? args[i + 1] : args[i].slice(name.length + 1);
}

async function answered(t: TurnApp, email: string, message: string) {
  const turnId = await t.ask(email, { user_message: message });
  const read = await t.read(email, turnId, { dropPings: true, timeoutMs: 30_000 });
  return { turnId, events: read.events };
}

/** Remembers facts: "remember X" is answered "Noted: X."; everything else with the default echo. */
function rememberer(req: ModelRequest): ModelReply | undefined {
  const m = /^remember (.+)$/.exec(req.userMessage);
  return m ? { text: `Noted: ${m[1]}.` } : undefined;
}

/** The fixture's model in full, for tests that swap it for a while. */
const remembering = (req: ModelRequest): ModelReply =>
  rememberer(req) ?? (req.afterToolResult ? { text: 'Done.' } : { text: `Echo: ${req.userMessage.length} chars` });

describe('local backend, stream-json: a conversation outlives its process', () => {
  let agent: StreamJsonAgentFixture;
  const apps: TurnApp[] = [];
  const start = async (env: Record<string, string> = {}) => {
    const t = await startBackendApp({ ...agent.env, ...env });
    apps.push(t);
    return t;
  };
  const backendOf = (t: TurnApp) => t.app.get<StreamJsonLocalBackend>(PALIADIN_BACKEND);
  const session = (email: string) => agentSessionName(agent.env.PALIADIN_SESSION_PREFIX, firstAgentTag(subFor(email)));

  beforeAll(async () => {
    agent = await startStreamJsonAgent(rememberer);
  });
  afterEach(async () => {
    for (const t of apps.splice(0)) await t.app.close();
  });
  afterAll(async () => {
    await agent?.stop();
  });

  it('after the app restarts, the next turn resumes the conversation with --resume (the request carries the first exchange)', async () => {
    const email = 'sj-restart@example.com';
    const first = await start();
    await answered(first, email, 'remember Papaya');
    const oldPid = backendOf(first).pool.pidOf(session(email))!;
    const db = first.app.get(DataSource);
    // Stored on the session row, and shown on the session.
    const [row] = await db.query(`SELECT id, backend, driver, agent_session_id FROM paliadin_sessions WHERE agent_session = $1 AND status = 'active'`, [
      session(email),
    ]);
    expect(row).toMatchObject({ backend: 'local', driver: 'stream-json' });
    expect(row.agent_session_id).toMatch(/^[0-9a-f-]{36}$/);
    const shown = await first
      .http()
      .get(`/api/sessions/${row.id}`)
      .set('Authorization', await first.auth(email));
    expect(shown.body.agent_session_id).toBe(row.agent_session_id);
    // A turn still running when the app stops ends interrupted, not as a crashed agent.
    agent.model.reply = (req) => (req.userMessage === 'held at shutdown' ? { text: 'never', hold: new Promise(() => undefined) } : remembering(req));
    const held = await first.ask(email, { user_message: 'held at shutdown' });
    await waitUntil(() => agent.turns().some((r) => r.userMessage === 'held at shutdown'), 20_000, 'the held message at the model');
    await first.app.close();
    apps.splice(0);
    expect(() => process.kill(oldPid, 0)).toThrow(); // the agent stopped with the app
    agent.model.reply = remembering;

    const second = await start();
    const [heldRow] = await second.app.get(DataSource).query(`SELECT error_code FROM paliadin_turns WHERE turn_id = $1`, [held]);
    expect(heldRow.error_code).toBe('interrupted');
    const { events } = await answered(second, email, 'which fruit?');
    expect(kinds(events).at(-1)).toBe('end');
    const req = agent.turns().at(-1)!;
    expect(req.userMessage).toBe('which fruit?');
    expect(conversation(req)).toContain('remember Papaya');
    expect(conversation(req)).toContain('Noted: Papaya.');
    expect(flag(cmdline(backendOf(second).pool.pidOf(session(email))!), '--resume')).toBe(row.agent_session_id);
  });

  it('a turn on another instance resumes the conversation there; the first instance catches up on its next turn', async () => {
    const email = 'sj-two@example.com';
    const a = await start();
    const b = await start();
    await answered(a, email, 'remember Quitte');
    const pidA = backendOf(a).pool.pidOf(session(email))!;
    await answered(b, email, 'remember Feige');
    expect(conversation(agent.turns().at(-1)!)).toContain('Noted: Quitte.');
    // Back on A: its warm agent did not hear the turn on B, so a new one resumes the conversation as it stands.
    await answered(a, email, 'what do you know?');
    const req = agent.turns().at(-1)!;
    expect(conversation(req)).toContain('Noted: Quitte.');
    expect(conversation(req)).toContain('Noted: Feige.');
    expect(backendOf(a).pool.pidOf(session(email))).not.toBe(pidA);
  });

  it('an idle agent is stopped after PALIADIN_AGENT_IDLE_MS; the next turn resumes its conversation', async () => {
    const email = 'sj-idle@example.com';
    const t = await start({ PALIADIN_AGENT_IDLE_MS: '300' });
    await answered(t, email, 'remember Mango');
    const pid = backendOf(t).pool.pidOf(session(email))!;
    await waitUntil(() => backendOf(t).pool.pidOf(session(email)) === undefined, 10_000, 'the idle agent to stop');
    await waitUntil(() => !isAlive(pid), 5_000, 'its process to end');
    await answered(t, email, 'and now?');
    expect(conversation(agent.turns().at(-1)!)).toContain('Noted: Mango.');
  });

  it('beyond PALIADIN_MAX_PANES the least recently used idle agent is stopped; a busy one is waited for', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    agent.model.reply = (req) => (req.userMessage === 'held b' ? { text: 'b done', hold: held } : remembering(req));
    const t = await start({ PALIADIN_MAX_PANES: '1' });
    const pool = backendOf(t).pool;
    await answered(t, 'sj-lru-a@example.com', 'first a');
    expect(pool.pidOf(session('sj-lru-a@example.com'))).toBeDefined();
    await answered(t, 'sj-lru-b@example.com', 'first b');
    expect(pool.pidOf(session('sj-lru-a@example.com'))).toBeUndefined();
    expect(pool.size).toBe(1);

    const heldB = await t.ask('sj-lru-b@example.com', { user_message: 'held b' });
    await waitUntil(() => agent.turns().some((r) => r.userMessage === 'held b'), 20_000, "B's held turn at the model");
    const aTurn = await t.ask('sj-lru-a@example.com', { user_message: 'second a' });
    const aRead = t.read('sj-lru-a@example.com', aTurn, { dropPings: true, timeoutMs: 30_000 });
    expect(pool.size).toBe(1);
    release();
    expect((await aRead).events.at(-1)?.event).toBe('end');
    expect((await t.read('sj-lru-b@example.com', heldB, { dropPings: true })).events.at(-1)?.event).toBe('end');
    const order = agent.turns().map((r) => r.userMessage);
    expect(order.lastIndexOf('second a')).toBeGreaterThan(order.lastIndexOf('held b'));
    expect(pool.size).toBe(1);
    agent.model.reply = remembering;
  });
});

describe('local backend, stream-json: silence, heartbeats and tools that take a while', () => {
  let agent: StreamJsonAgentFixture;
  let t: TurnApp;
  beforeAll(async () => {
    agent = await startStreamJsonAgent((req) => {
      if (req.userMessage === 'go quiet') return { text: 'never', hold: new Promise(() => undefined) };
      if (req.userMessage === 'sleep a while') return { tools: [{ name: 'Bash', input: { command: 'sleep 2' } }] };
      return undefined;
    });
    t = await startBackendApp({
      ...agent.env,
      PALIADIN_THINKING_INTERVAL_MS: '300',
      PALIADIN_SILENCE_TIMEOUT_MS: '1200',
      // This app's agents may run exactly one shell command, and nothing else.
      PALIADIN_AGENT_TOOLS: 'Bash',
      PALIADIN_AGENT_ALLOW: 'Bash(sleep 2)',
    });
  });
  afterAll(async () => {
    await t?.app.close();
    await agent?.stop();
  });

  it('a tool that runs longer than the silence timeout: heartbeats keep the turn alive until the answer', async () => {
    const { events } = await answered(t, 'sj-quiet@example.com', 'sleep a while');
    expect(kinds(events).at(-1)).toBe('end');
    const started = events.findIndex((e) => e.event === 'tool' && (e.data as { status: string }).status === 'started');
    const done = events.findIndex((e) => e.event === 'tool' && (e.data as { status: string }).status === 'done');
    expect(started).toBeGreaterThan(0);
    expect(done).toBeGreaterThan(started);
    const beats = events.slice(started, done).filter((e) => e.event === 'thinking');
    // The agent's heartbeats (upstream), not only the pipeline's own ticks.
    expect(beats.filter((b) => (b.data as { upstream?: true }).upstream).length).toBeGreaterThanOrEqual(2);
    expect(events.at(-1)!.data).toMatchObject({ used_tools: ['Bash'] });
  });

  it('a model that goes silent fails the turn (upstream_silence); the interrupted agent answers the next turn', async () => {
    const email = 'sj-quiet@example.com';
    const pid = t.app
      .get<StreamJsonLocalBackend>(PALIADIN_BACKEND)
      .pool.pidOf(agentSessionName(agent.env.PALIADIN_SESSION_PREFIX, firstAgentTag(subFor(email))));
    const { events } = await answered(t, email, 'go quiet');
    expect(events.at(-1)).toMatchObject({ event: 'error', data: { code: 'upstream_silence' } });
    const next = await answered(t, email, 'still there?');
    expect(text(next.events)).toBe('Echo: 12 chars');
    expect(
      t.app.get<StreamJsonLocalBackend>(PALIADIN_BACKEND).pool.pidOf(agentSessionName(agent.env.PALIADIN_SESSION_PREFIX, firstAgentTag(subFor(email)))),
    ).toBe(pid);
  });
});

describe('local backend, stream-json: an agent that cannot start', () => {
  let t: TurnApp | undefined;
  afterEach(async () => {
    await t?.app.close();
    t = undefined;
  });

  const failWith = async (env: Record<string, string>) => {
    // A key (never used) so that the agent's start, not the missing credentials, is what fails.
    t = await startBackendApp({
      PALIADIN_BACKEND: 'local',
      PALIADIN_LOCAL_DRIVER: 'stream-json',
      PALIADIN_AGENT_START_TIMEOUT_MS: '500',
      ANTHROPIC_API_KEY: 'sk-test-unused',
      ...env,
    });
    const turnId = await t.ask('sj-broken@example.com');
    const read = await t.read('sj-broken@example.com', turnId, { dropPings: true, timeoutMs: 15_000 });
    return { kinds: kinds(read.events), error: read.events.at(-1)!.data as { code: string; message: string } };
  };

  it('a command that does not exist: tmux_unavailable naming it, and health is down', async () => {
    const r = await failWith({ PALIADIN_AGENT_COMMAND: '/nonexistent/claude' });
    expect(r.kinds).toEqual(['meta', 'error']);
    expect(r.error).toMatchObject({ code: 'tmux_unavailable' });
    expect(r.error.message).toContain('"/nonexistent/claude" was not found');
    const health = await t!.http().get('/health');
    expect(health.status).toBe(503);
    expect(health.body.error.backend.detail).toContain('/nonexistent/claude');
  });

  it('a command that exits at once: tmux_unavailable with its exit code', async () => {
    // A start timeout it cannot reach: the exit, however late a busy machine reports it, is what fails the turn.
    const r = await failWith({ PALIADIN_AGENT_COMMAND: 'false', PALIADIN_AGENT_START_TIMEOUT_MS: '10000' });
    expect(r.error).toMatchObject({ code: 'tmux_unavailable' });
    expect(r.error.message).toMatch(/exited \(code 1\) before it was ready/);
  });

  it('an agent that never answers its handshake: tmux_unavailable after the start timeout, and no process is left', async () => {
    // Reads its input and says nothing, like a hung agent.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'paliadin-mute-'));
    const script = path.join(dir, 'mute.sh');
    writeFileSync(script, '#!/bin/sh\nexec cat > /dev/null\n', { mode: 0o755 });
    try {
      const r = await failWith({ PALIADIN_AGENT_COMMAND: script });
      expect(r.error).toMatchObject({ code: 'tmux_unavailable' });
      expect(r.error.message).toContain('did not answer its handshake within 0.5 s');
      expect(t!.app.get<StreamJsonLocalBackend>(PALIADIN_BACKEND).pool.size).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('local backend, stream-json: how the agent is started', () => {
  it('argument array with the permission flags and PALIADIN_AGENT_ARGS last; no service secrets in its environment', async () => {
    const agent = await startStreamJsonAgent();
    // A wrapper that notes its arguments and environment, then runs the real Claude Code.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'paliadin-wrap-'));
    const script = path.join(dir, 'claude-wrapper.sh');
    writeFileSync(script, `#!/bin/sh\nprintf '%s\\n' "$@" > ${dir}/args\nenv > ${dir}/env\nexec ${agent.env.PALIADIN_AGENT_COMMAND} "$@"\n`, { mode: 0o755 });
    Object.assign(process.env, { PALIADIN_JWT_SECRET: 'x'.repeat(40), DATABASE_URL: 'postgres://u:p@h/db', SOME_SECRET: 's' });
    const t = await startBackendApp({ ...agent.env, PALIADIN_AGENT_COMMAND: script, PALIADIN_AGENT_ARGS: '--model claude-scripted-1' });
    try {
      const { events } = await answered(t, 'sj-argv@example.com', 'hello');
      expect(kinds(events).at(-1)).toBe('end');
      const args = readFileSync(path.join(dir, 'args'), 'utf8').trim().split('\n');
      const workspace = path.join(agent.workspaces, agentSessionName(agent.env.PALIADIN_SESSION_PREFIX, firstAgentTag(subFor('sj-argv@example.com'))));
      for (const flag of [
        '--input-format',
        '--output-format',
        '--include-partial-messages',
        '--permission-mode',
        '--tools',
        '--allowedTools',
        '--setting-sources',
      ]) {
        expect(args.some((a) => a === flag || a.startsWith(`${flag}=`))).toBe(true);
      }
      // Claude Code weighs the rules and puts the rest to us (the tool gate): none of it is left to a prompt.
      expect(flag(args, '--permission-mode')).toBe('default');
      expect(flag(args, '--permission-prompt-tool')).toBe('stdio');
      expect(JSON.parse(flag(args, '--settings')!)).toEqual({ permissions: { allow: ['mcp__client'], ask: [], deny: [] } });
      expect(flag(args, '--tools')).toBe('Read,Glob,Grep,Edit,Write');
      expect(flag(args, '--allowedTools')).toBe(`Read(/${workspace}/**),Edit(/${workspace}/**)`);
      expect(flag(args, '--setting-sources')).toBe('');
      expect(args.slice(-2)).toEqual(['--model', 'claude-scripted-1']);
      expect(agent.turns().at(-1)!.body.model).toBe('claude-scripted-1');
      const env = readFileSync(path.join(dir, 'env'), 'utf8');
      expect(env).toContain(`ANTHROPIC_BASE_URL=${agent.env.ANTHROPIC_BASE_URL}`);
      expect(env).toContain('DISABLE_TELEMETRY=1');
      expect(env).not.toMatch(/^(PALIADIN_|DATABASE_URL|SOME_SECRET)/m);
    } finally {
      delete process.env.PALIADIN_JWT_SECRET;
      delete process.env.DATABASE_URL;
      delete process.env.SOME_SECRET;
      await t.app.close();
      await agent.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
