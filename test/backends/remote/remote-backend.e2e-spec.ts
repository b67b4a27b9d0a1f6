import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { agentSessionName, firstAgentTag } from '../../../src/contract/agent-session.js';
import { sanitiseForTerminal } from '../../../src/contract/envelope.js';
import { startClaudeAgent, writeAnswer, type ClaudeAgentFixture } from '../../support/claude-agent.js';
import { kinds, startBackendApp, type TurnApp } from '../../support/pipeline-app.js';
import { shimEnvFor, startSshd, type SshdFixture } from '../../support/sshd.js';
import { readSse } from '../../support/sse-client.js';
import { subFor, tokenFor } from '../../support/tokens.js';
import { waitUntil } from '../../support/wait.js';
import { testTempDir } from '../../support/temp-dirs.js';

const run = promisify(execFile);
const SHIM = path.resolve('scripts/paliadin-shim');
const session = (email: string) => agentSessionName('paliad-paliadin', firstAgentTag(subFor(email)));

describe('remote backend: the real Claude Code in tmux on a host behind a real sshd', () => {
  let agent: ClaudeAgentFixture;
  let sshd: SshdFixture;
  let t: TurnApp;
  let releaseSlow!: () => void;
  const slow = new Promise<void>((r) => (releaseSlow = r));
  let releaseDropped!: () => void;
  const dropped = new Promise<void>((r) => (releaseDropped = r));

  const shimEnv = (extra: Record<string, string> = {}) => shimEnvFor(agent, extra);
  const setShimEnv = (extra: Record<string, string> = {}) => sshd.setShimEnv(shimEnv(extra));
  const tmux = (...args: string[]) => run('tmux', ['-S', sshd.tmuxSocket, ...args]);

  beforeAll(async () => {
    agent = await startClaudeAgent((e) =>
      e.message.startsWith('slow')
        ? writeAnswer(e, 'Spät per SSH.\n<!-- paliadin-meta {"used_tools":["Read"],"rows_seen":[5],"classifier_tag":"late"} -->', { hold: slow })
        : e.message.startsWith('drop')
          ? writeAnswer(e, 'Trotz Abbruch angekommen.\n<!-- paliadin-meta {"used_tools":["Read"],"rows_seen":[11],"classifier_tag":"dropped"} -->', {
              hold: dropped,
            })
          : writeAnswer(e, `Antwort: ${e.message}\n<!-- paliadin-meta {"used_tools":["Grep"],"rows_seen":["9"],"classifier_tag":"ssh"} -->`),
    );
    sshd = await startSshd({});
    setShimEnv();
    // The health gate's bound: an ssh round trip to the shim takes more than the default 3 s on a machine busy with the whole suite.
    t = await startBackendApp({ ...sshd.env(), PALIADIN_JANITOR_INTERVAL_MS: '300', PALIADIN_HEALTH_TIMEOUT_MS: '15000' });
  });
  afterAll(async () => {
    releaseSlow?.();
    releaseDropped?.();
    await t?.app.close();
    await sshd?.cleanup();
    await agent?.stop();
  });

  const turn = async (email: string, message: string) => {
    const turnId = await t.ask(email, { user_message: message });
    const read = await t.read(email, turnId, { dropPings: true, timeoutMs: 60_000 });
    return { turnId, read, last: read.events.at(-1)! };
  };

  it('health is ok through the shim', async () => {
    const res = await t.http().get('/health');
    expect(res.status).toBe(200);
    expect(res.body.info.backend).toMatchObject({ kind: 'remote', state: 'up' });
  });

  it('a happy turn end to end: the answer, its meta, over the HTTP API', async () => {
    const { turnId, read } = await turn('ssh@example.com', 'Hallo über SSH');
    expect(kinds(read.events)).toEqual(['meta', 'content', 'end']);
    expect(read.events[1].data).toEqual({ text: 'Antwort: Hallo über SSH' });
    expect(read.events[2].data).toMatchObject({ turn_id: turnId, used_tools: ['Grep'], rows_seen: [9], classifier_tag: 'ssh' });
    await tmux('has-session', '-t', `=${session('ssh@example.com')}`); // the shim's tmux session for this user
  });

  it("the session's screen is the tmux pane on the agent host (the shim's capture), live as SSE; none before the agent runs", async () => {
    const email = 'ssh-screen@example.com';
    const auth = await t.auth(email);
    await turn(email, 'Zeig mir den Bildschirm');
    const [s] = (await t.http().get('/api/sessions').set('Authorization', auth)).body.sessions;
    const res = await t
      .http()
      .get(`/api/sessions/${s.id as string}/screen`)
      .set('Authorization', auth);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ cols: expect.any(Number), rows: expect.any(Number), cursor: { x: expect.any(Number), y: expect.any(Number) } });
    expect(res.body.lines).toHaveLength(res.body.rows);
    // Claude Code's prompt box, as tmux shows it.
    expect((res.body.lines as string[]).some((l) => l.startsWith('❯'))).toBe(true);
    const stream = await readSse(t.url, `/api/sessions/${s.id as string}/screen/stream`, {
      token: await tokenFor(email),
      stopAfterEvents: 1,
      timeoutMs: 10_000,
    });
    expect(stream.events[0]).toMatchObject({ event: 'screen', data: { cols: res.body.cols, rows: res.body.rows } });
    expect(stream.events[0].id).toBeUndefined();
    // Another user's session is not there at all.
    expect(
      (
        await t
          .http()
          .get(`/api/sessions/${s.id as string}/screen`)
          .set('Authorization', await t.auth('other@example.com'))
      ).status,
    ).toBe(404);

    // No tmux session (yet) for a new named session: 409 NO_SCREEN.
    const created = await t.http().post('/api/sessions').set('Authorization', auth).send({ name: 'fresh' });
    const none = await t
      .http()
      .get(`/api/sessions/${created.body.id as string}/screen`)
      .set('Authorization', auth);
    expect(none.status).toBe(409);
    expect(none.body).toMatchObject({ code: 'NO_SCREEN' });
  });

  it('an injection corpus is delivered literally, and the canary file is never created', async () => {
    const canary = path.join(sshd.dir, 'CANARY');
    const corpus = [
      `; touch ${canary}`,
      `x && touch ${canary}`,
      `$(touch ${canary})`,
      `\`touch ${canary}\``,
      `zeile\ntouch ${canary}\n`,
      `-n leading dash`,
      `"double" 'single' \\"escaped\\"`,
      `tmux ; kill-server ;`,
      `farbe \x1b[31mrot\x1b[0m titel \x1b]0;pwn\x07 ende`,
      `| touch ${canary} > ${canary}`,
    ];
    for (const message of corpus) {
      const { turnId, last } = await turn('inject@example.com', message);
      // The error's data, when it is one, so that a failure says which.
      expect({ message, event: last.event, error: last.event === 'end' ? undefined : last.data }).toEqual({ message, event: 'end', error: undefined });
      expect(agent.envelopes().find((e) => e.turnId === turnId)?.message).toBe(sanitiseForTerminal(message).trim());
    }
    expect(existsSync(canary)).toBe(false);
  }, 240_000);

  it('the shim times out (exit 124): timeout, then the janitor fetches the late answer', async () => {
    setShimEnv({ PALIADIN_SHIM_TIMEOUT: '2' });
    try {
      const { turnId, last } = await turn('late@example.com', 'slow please');
      expect(last.data).toMatchObject({ code: 'timeout', retryable: true });
      releaseSlow();
      const row = async () =>
        (
          await t
            .http()
            .get(`/api/paliadin/turns/${turnId}`)
            .set('Authorization', await t.auth('late@example.com'))
        ).body;
      await waitUntil(async () => (await row()).response !== null, 30_000, 'the janitor to fetch the late answer');
      expect(await row()).toMatchObject({ response: 'Spät per SSH.', error_code: null, rows_seen: [5], classifier_tag: 'late' });
      const resumed = await t.read('late@example.com', turnId, { dropPings: true, lastEventId: last.id });
      expect(kinds(resumed.events)).toEqual(['content', 'end']);
    } finally {
      setShimEnv();
    }
  });

  it('the connection drops mid-turn, after the agent got the message: upstream_error (retryable), then the answer is fetched', async () => {
    const email = 'drop@example.com';
    const auth = async () => t.auth(email);
    const turnId = await t.ask(email, { user_message: 'drop the line' });
    await waitUntil(() => agent.envelopes().some((e) => e.turnId === turnId), 60_000, 'the agent to get the message');
    // The host's side of the session dies (its sshd and the shim in it); the agent in tmux works on.
    expect(sshd.dropConnections()).toBeGreaterThan(0);
    const read = await t.read(email, turnId, { dropPings: true, timeoutMs: 30_000 });
    const last = read.events.at(-1)!;
    expect(last.data).toMatchObject({ code: 'upstream_error', retryable: true });
    expect((last.data as { message: string }).message).toContain('closed by remote host');
    // A candidate: /recover asks the host (shim fetch), which has nothing yet.
    const recover = async () =>
      (
        await t
          .http()
          .get(`/api/paliadin/turns/${turnId}/recover`)
          .set('Authorization', await auth())
      ).body;
    expect(await recover()).toMatchObject({ recovery_state: 'pending', response: null, error_code: 'upstream_error' });

    releaseDropped();
    const row = async () =>
      (
        await t
          .http()
          .get(`/api/paliadin/turns/${turnId}`)
          .set('Authorization', await auth())
      ).body;
    await waitUntil(async () => (await row()).response !== null, 30_000, 'the late answer to be fetched');
    expect(await row()).toMatchObject({ response: 'Trotz Abbruch angekommen.', error_code: null, rows_seen: [11], classifier_tag: 'dropped' });
    expect(await recover()).toMatchObject({ recovery_state: 'recovered', response: 'Trotz Abbruch angekommen.' });
    const resumed = await t.read(email, turnId, { dropPings: true, lastEventId: last.id });
    expect(kinds(resumed.events)).toEqual(['content', 'end']);
    expect(resumed.events[0].data).toEqual({ text: 'Trotz Abbruch angekommen.' });
  });

  it('reset kills the tmux session; the next turn starts a new agent', async () => {
    const email = 'reset@example.com';
    await turn(email, 'vorher');
    const pane = async () => (await tmux('display-message', '-p', '-t', `=${session(email)}:`, '#{pane_pid}')).stdout.trim();
    const before = await pane();
    const res = await t
      .http()
      .post('/api/paliadin/reset')
      .set('Authorization', await t.auth(email));
    expect(res.status).toBe(200);
    await expect(tmux('has-session', '-t', `=${session(email)}`)).rejects.toThrow();
    expect((await turn(email, 'nachher')).last.event).toBe('end');
    expect(await pane()).not.toBe(before);
  });

  it('a key the host does not know: shim_auth_failed', async () => {
    const stranger = await startBackendApp(sshd.env({ PALIADIN_REMOTE_KEY_PATH: sshd.wrongKeyPath }));
    try {
      const id = await stranger.ask('stranger@example.com');
      const read = await stranger.read('stranger@example.com', id, { dropPings: true, timeoutMs: 30_000 });
      expect(read.events.at(-1)?.data).toMatchObject({ code: 'shim_auth_failed' });
      expect((read.events.at(-1)?.data as { message: string }).message).toContain('Permission denied');
    } finally {
      await stranger.app.close();
    }
  });

  it('sshd stopped: mriver_unreachable; started again: the next turn works (the failure was not cached)', async () => {
    const email = 'outage@example.com';
    await sshd.stop();
    try {
      const { last } = await turn(email, 'niemand da?');
      expect(last.data).toMatchObject({ code: 'mriver_unreachable' });
      expect((last.data as { message: string }).message).toContain('Connection refused');
      const health = await t.http().get('/health');
      expect(health.status).toBe(503);
    } finally {
      await sshd.start();
    }
    // The whole last event, so that a failure says which error it was.
    const { last } = await turn(email, 'wieder da');
    expect({ event: last.event, error: last.event === 'end' ? undefined : last.data }).toEqual({ event: 'end', error: undefined });
  });
});

describe('paliadin-shim input checks (run directly)', () => {
  const shim = async (args: string[], env: Record<string, string> = {}) => {
    try {
      const { stdout } = await run(SHIM, args, { env: { ...process.env, PALIADIN_SHIM_CONFIG: '/nonexistent', ...env } });
      return { code: 0, stdout, stderr: '' };
    } catch (e) {
      const err = e as { code: number; stdout: string; stderr: string };
      return { code: err.code, stdout: err.stdout, stderr: err.stderr };
    }
  };
  const uuid = '0b6f7a52-8c1e-4f7e-9a57-2f8f3c1d9e01';

  it.each([
    [['health', 'a b'], 'invalid session name'],
    [['health', 'x;y'], 'invalid session name'],
    [['health', '$(id)'], 'invalid session name'],
    [['health', 'a'.repeat(65)], 'invalid session name'],
    [['reset', '../etc'], 'invalid session name'],
    [['run-turn', 'ok-session', 'not-a-uuid', 'aGk='], 'invalid turn id'],
    [['run-turn', 'ok-session', uuid.toUpperCase(), 'aGk='], 'invalid turn id'],
    [['fetch', `${uuid};id`], 'invalid turn id'],
    [['run-turn', 'ok-session', uuid, 'not base64!'], 'invalid base64 message'],
    [['run-turn', 'ok-session', uuid, 'aGk'], 'invalid base64 message'],
    [['run-turn', 'ok-session', uuid, '$(id)'], 'invalid base64 message'],
    [['launch-missiles'], 'unknown verb (health, run-turn, fetch, reset, capture)'],
    [['capture', '$(id)'], 'invalid session name'],
    [['capture'], 'usage: capture <session>'],
    [['health'], 'usage: health <session>'],
  ])('%j fails with exit 2: %s', async (args, message) => {
    const r = await shim(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`paliadin-shim: ${message}\n`);
  });

  it('reads the verb from SSH_ORIGINAL_COMMAND, with no globbing and no shell', async () => {
    expect((await shim([], { SSH_ORIGINAL_COMMAND: 'health *' })).stderr).toBe('paliadin-shim: invalid session name\n');
    expect((await shim([], { SSH_ORIGINAL_COMMAND: 'health ok; touch /tmp/paliadin-shim-canary' })).code).toBe(2);
    expect(existsSync('/tmp/paliadin-shim-canary')).toBe(false);
    const ok = await shim([], { SSH_ORIGINAL_COMMAND: 'health good-session', PALIADIN_AGENT_COMMAND: 'true' });
    expect(ok).toEqual({ code: 0, stdout: 'ok\n', stderr: '' });
  });

  it('install-paliadin-shim installs the shim and one authorized_keys line restricted to it; again, still one line', async () => {
    const home = testTempDir('paliadin-install-');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(home, 'gw')]);
    const key = readFileSync(path.join(home, 'gw.pub'), 'utf8').trim();
    const install = () => run(path.resolve('scripts/install-paliadin-shim'), [path.join(home, 'gw.pub')], { env: { ...process.env, HOME: home } });
    await install();
    await install();
    const lines = readFileSync(path.join(home, '.ssh', 'authorized_keys'), 'utf8')
      .trim()
      .split('\n');
    expect(lines).toEqual([`command="${home}/.local/bin/paliadin-shim",restrict ${key}`]);
    expect(statSync(path.join(home, '.local', 'bin', 'paliadin-shim')).mode & 0o777).toBe(0o755);
    expect(statSync(path.join(home, '.ssh', 'authorized_keys')).mode & 0o777).toBe(0o600);
    writeFileSync(path.join(home, 'bad.pub'), 'rm -rf / ; not a key');
    await expect(
      run(path.resolve('scripts/install-paliadin-shim'), [path.join(home, 'bad.pub')], { env: { ...process.env, HOME: home } }),
    ).rejects.toMatchObject({ code: 2 });
  });

  it('fetch says "no answer" with exit 3 while there is none', async () => {
    const r = await shim(['fetch', uuid], { PALIADIN_RESPONSE_DIR: '/nonexistent' });
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(`paliadin-shim: no answer for ${uuid}\n`);
  });
});
