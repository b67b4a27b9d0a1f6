import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { agentSessionName, firstAgentTag } from '../../../src/contract/agent-session.js';
import { kinds, startBackendApp, type TurnApp } from '../../support/pipeline-app.js';
import type { SseEvent } from '../../support/sse-client.js';
import { testTempDir } from '../../support/temp-dirs.js';
import { subFor } from '../../support/tokens.js';

const TEST_AGENT = path.resolve('test/support/acp-test-agent.ts');
const errorOf = (events: SseEvent[]) => events.find((e) => e.event === 'error')?.data as { code: string; message: string; retryable?: boolean } | undefined;
const answerOf = (events: SseEvent[]) =>
  events
    .filter((e) => e.event === 'content')
    .map((e) => (e.data as { delta: string }).delta)
    .join('');

/** The app with an ACP agent of our own (test/support/acp-test-agent.ts) run as PALIADIN_ACP_AGENT=command. */
async function appWith(mode: string, extra: Record<string, string> = {}) {
  const root = testTempDir('paliadin-acp-cmd-');
  const env = {
    PALIADIN_BACKEND: 'local',
    PALIADIN_LOCAL_DRIVER: 'acp',
    PALIADIN_ACP_AGENT: 'command',
    PALIADIN_ACP_COMMAND: process.execPath,
    PALIADIN_ACP_ARGS: `${TEST_AGENT} ${mode}`,
    PALIADIN_SESSION_PREFIX: `acpc-${path.basename(root).slice(-6)}`,
    PALIADIN_AGENT_HOME: path.join(root, 'home'),
    PALIADIN_AGENT_CWD: path.join(root, 'workspaces'),
    PALIADIN_AGENT_START_TIMEOUT_MS: '3000',
    ...extra,
  };
  mkdirSync(env.PALIADIN_AGENT_HOME, { recursive: true });
  const t = await startBackendApp(env);
  return {
    t,
    root,
    env,
    workspace: (email: string) => path.join(env.PALIADIN_AGENT_CWD, agentSessionName(env.PALIADIN_SESSION_PREFIX, firstAgentTag(subFor(email)))),
  };
}

async function turn(t: TurnApp, email: string, message: string) {
  const turnId = await t.ask(email, { user_message: message });
  return (await t.read(email, turnId, { dropPings: true, timeoutMs: 30_000 })).events;
}

describe('ACP driver: the agent reads and writes files through us, inside its workspace only', () => {
  let app: Awaited<ReturnType<typeof appWith>>;
  const email = 'acp-files@example.com';
  let ws: string;
  let outside: string;

  beforeAll(async () => {
    app = await appWith('files');
    // The first turn makes the workspace; the files are laid out after it.
    expect(kinds(await turn(app.t, email, '[]')).at(-1)).toBe('end');
    ws = app.workspace(email);
    outside = path.join(app.root, 'outside');
    mkdirSync(outside);
    writeFileSync(path.join(outside, 'secret.txt'), 'geheim');
    writeFileSync(path.join(ws, 'notes.txt'), 'eins\nzwei\ndrei\n');
    symlinkSync(path.join(outside, 'secret.txt'), path.join(ws, 'link-out.txt'));
    symlinkSync(outside, path.join(ws, 'dir-out'));
    symlinkSync(path.join(outside, 'new.txt'), path.join(ws, 'dangling.txt'));
  });
  afterAll(async () => {
    await app?.t.app.close();
  });

  const calls = async (list: unknown[]) =>
    answerOf(await turn(app.t, email, JSON.stringify(list)))
      .trim()
      .split('\n');

  it('reads and writes inside the workspace, new directories included', async () => {
    const lines = await calls([
      { read: path.join(ws, 'notes.txt') },
      { write: path.join(ws, 'sub', 'dir', 'neu.txt'), content: 'neu' },
      { read: path.join(ws, 'sub', 'dir', 'neu.txt') },
    ]);
    expect(lines).toEqual(['ok eins', 'zwei', 'drei', '', 'ok written', 'ok neu']);
    expect(readFileSync(path.join(ws, 'sub', 'dir', 'neu.txt'), 'utf8')).toBe('neu');
  });

  it('refuses paths outside: absolute, through .., through a symlink (file or directory), a dangling link, a relative path; the agent is told why', async () => {
    const lines = await calls([
      { read: path.join(outside, 'secret.txt') },
      { read: path.join(ws, '..', '..', 'outside', 'secret.txt') },
      { read: path.join(ws, 'link-out.txt') },
      { read: path.join(ws, 'dir-out', 'secret.txt') },
      { write: path.join(ws, '..', 'escaped.txt'), content: 'x' },
      { write: path.join(ws, 'link-out.txt'), content: 'overwritten' },
      { write: path.join(ws, 'dir-out', 'planted.txt'), content: 'x' },
      { write: path.join(ws, 'dangling.txt'), content: 'x' },
      { read: 'notes.txt' },
    ]);
    expect(lines).toHaveLength(9);
    for (const line of lines.slice(0, 7)) expect(line).toMatch(/^refused .*outside the session's workspace/);
    expect(lines[7]).toMatch(/^refused .*symbolic link/);
    expect(lines[8]).toMatch(/^refused .*must be absolute/);
    // Nothing changed outside.
    expect(readFileSync(path.join(outside, 'secret.txt'), 'utf8')).toBe('geheim');
    expect(existsSync(path.join(outside, 'planted.txt'))).toBe(false);
    expect(existsSync(path.join(outside, 'new.txt'))).toBe(false);
    expect(existsSync(path.join(path.dirname(ws), 'escaped.txt'))).toBe(false);
  });
});

describe('ACP driver: an agent that cannot start fails the turn with tmux_unavailable, naming the agent and the cause', () => {
  it.each([
    ['missing', { PALIADIN_ACP_COMMAND: '/nonexistent/acp-agent', PALIADIN_ACP_ARGS: '' }, /"\/nonexistent\/acp-agent" was not found/],
    ['crashing at start', {}, /"node" exited \(code 3\) before it was ready: test agent: no licence for this machine/],
    ['speaking no JSON-RPC', {}, /"node" did not answer its ACP handshake within 3 s; does it speak ACP\?/],
  ])('%s', async (what, extra, message) => {
    const mode = what === 'crashing at start' ? 'crash-at-start' : 'garbage';
    const { t } = await appWith(mode, extra);
    try {
      const events = await turn(t, `acp-start-${mode}@example.com`, 'Hallo');
      expect(errorOf(events)?.code).toBe('tmux_unavailable');
      expect(errorOf(events)?.message).toMatch(message);
      // /health says so too, once it has looked.
      const health = await t.http().get('/health');
      expect(health.body.info?.backend ?? health.body.error?.backend).toMatchObject({ state: 'down' });
    } finally {
      await t.app.close();
    }
  });

  it('an agent that exits mid-turn: upstream_error, retryable', async () => {
    const { t } = await appWith('crash-mid-turn');
    try {
      const events = await turn(t, 'acp-midturn@example.com', 'Hallo');
      expect(answerOf(events)).toBe('Half ');
      expect(errorOf(events)).toMatchObject({ code: 'upstream_error', retryable: true });
      expect(errorOf(events)?.message).toMatch(/"node" stopped in the middle of the answer \(the agent exited \(code 1\)\)/);
    } finally {
      await t.app.close();
    }
  });
});
