import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { descendants, isAlive, killAll, statFields } from '../support/process.js';
import { PRINTED_TOKEN, exited, logged, startApp, stopApps, waitFor } from '../support/app-process.js';
import { readSse } from '../support/sse-client.js';
import { waitUntil } from '../support/wait.js';
import pg from 'pg';
import { EmbeddedDatabase, freePort } from '../../src/database/embedded-postgres.js';
import { testTempDir } from '../support/temp-dirs.js';
import { userToken } from '../support/tokens.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

// A failed assertion must not leave an app (and its Postgres) running: SIGINT stops both.
afterEach(stopApps);

/** How the process ended: its exit code, or the signal that ended it. Call before the signal is sent. */
const exitOf = (child: ChildProcess) =>
  new Promise<{ code: number | null; signal: string | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));

/** As a newcomer's `npm start`: development, default (local) backend, node_modules/.bin on PATH, no credentials. */
const newcomer = () => ({
  NODE_ENV: 'development',
  HOME: testTempDir('paliadin-newcomer-'),
  PATH: `${path.resolve('node_modules/.bin')}:${process.env.PATH}`,
  ANTHROPIC_API_KEY: '',
  ANTHROPIC_BASE_URL: '',
});

describe('the app process', () => {
  it('boots on embedded Postgres with no setup, prints a token, serves /health and /docs, and Ctrl-C leaves no postgres', async () => {
    const dataDir = testTempDir('paliadin-app-');
    const port = await freePort();
    const child = startApp({ PORT: String(port), PALIADIN_DATA_DIR: dataDir, PALIADIN_BACKEND: 'disabled', NODE_ENV: 'development' });
    const out = await waitFor(child, PRINTED_TOKEN);
    const token = PRINTED_TOKEN.exec(out)![1];
    expect(token.split('.')).toHaveLength(3);
    // The token is the last thing the start-up prints: nothing scrolls it out of sight.
    expect(out.trimEnd().endsWith(token)).toBe(true);

    const health = await fetch(`http://127.0.0.1:${port}/health`);
    expect(health.status).toBe(200);
    // Credentials never reach the log: not the header, not the cookie, not the query parameter.
    const signature = token.split('.')[2];
    await fetch(`http://127.0.0.1:${port}/api/paliadin/history?session=x&access_token=${token}`, {
      headers: { Authorization: `Bearer ${token}`, Cookie: `paliadin_token=${token}` },
    });
    await fetch(`http://127.0.0.1:${port}/api/paliadin/stream/00000000-0000-4000-8000-000000000000?access_token=${token}`);
    await waitFor(child, /stream\/00000000-0000-4000-8000-000000000000\?access_token=\[Redacted\] 404/);
    expect((await fetch(`http://127.0.0.1:${port}/docs`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/docs-json`)).status).toBe(200);

    // Development logs one readable line per request, without headers; the token only where the hint prints it.
    const requestLines = logged(child).slice(out.length).split('\n').filter(Boolean);
    expect(requestLines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^\d\d:\d\d:\d\d\.\d{3} INFO {2}GET \/api\/paliadin\/history\?session=x&access_token=\[Redacted\] 400 \d+ ms \(req [0-9a-f-]{36}\)$/,
        ),
        expect.stringMatching(/ GET \/api\/paliadin\/stream\/0{8}-0{4}-4000-8000-0{12}\?access_token=\[Redacted\] 404 \d+ ms /),
      ]),
    );
    expect(requestLines.every((l) => l.length < 300)).toBe(true);
    expect(logged(child).split(signature)).toHaveLength(2);
    // Nest's per-module and per-route boot lines stay out of a development start-up.
    expect(out).not.toContain('RouterExplorer');

    const pgPid = Number(readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
    expect(isAlive(pgPid)).toBe(true);
    const beforeStop = logged(child).length;
    child.kill('SIGINT');
    const code = await new Promise((r) => child.once('exit', (c, s) => r(c ?? s)));
    // 0, or the conventional 130 of a process ended by SIGINT.
    expect([0, 130, 'SIGINT']).toContain(code);
    expect(isAlive(pgPid)).toBe(false);
    // A plain Ctrl-C is no cause for alarm: no warning or error on the way down.
    expect(logged(child).slice(beforeStop)).not.toMatch(/ (WARN|ERROR) /);
  });

  it('first run with no Anthropic credentials: the demo model answers a turn through the real Claude Code, and says so everywhere', async () => {
    const dataDir = testTempDir('paliadin-app-');
    const port = await freePort();
    const child = startApp({ PORT: String(port), PALIADIN_DATA_DIR: dataDir, ...newcomer() });
    const out = await waitFor(child, PRINTED_TOKEN);
    const token = PRINTED_TOKEN.exec(out)![1];
    expect(out).toMatch(/Backend: +up \(agent \S+claude \(stream-json\); 0\/8 agents live; demo model: no Anthropic credentials/);
    expect(out).toMatch(/ WARN {2}\[LocalBackend\] demo model: /);
    const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { info: { backend: { detail: string } } };
    expect(health.info.backend.detail).toContain('demo model');

    const auth = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
    const turn = await fetch(`http://127.0.0.1:${port}/api/paliadin/turn`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ user_message: 'Was kannst du?' }),
    });
    expect(turn.status).toBe(200);
    const { turn_id } = (await turn.json()) as { turn_id: string };
    const read = await readSse(`http://127.0.0.1:${port}`, `/api/paliadin/stream/${turn_id}`, { token, dropPings: true, timeoutMs: 30_000 });
    // The default driver (stream-json) streams the demo answer word by word.
    const events = read.events.map((e) => e.event);
    expect(events[0]).toBe('meta');
    expect(events.at(-1)).toBe('end');
    const deltas = read.events.filter((e) => e.event === 'content').map((e) => (e.data as { delta: string }).delta);
    expect(deltas.length).toBeGreaterThan(20);
    const text = deltas.join('');
    expect(text).toMatch(/^\*\*Demo model\.\*\* This answer comes from Paliadin's built-in demo model, not from a real AI/);
    expect(text).toContain('You asked: “Was kannst du?”');
    expect(text).not.toContain('paliadin-meta');
    expect(read.events.at(-1)!.data).toMatchObject({ classifier_tag: 'demo', chip_count: 1, streamed: true });

    // The agent runs in <data dir>/workspace: find it by its working directory (other tests run agents too).
    const agents = () =>
      readdirSync('/proc')
        .filter((p) => /^\d+$/.test(p))
        .filter((p) => {
          try {
            return readlinkSync(`/proc/${p}/cwd`).startsWith(dataDir);
          } catch {
            return false;
          }
        });
    expect(agents().length).toBeGreaterThan(0);
    const beforeStop = logged(child).length;
    child.kill('SIGINT');
    await new Promise((r) => child.once('exit', r));
    await waitUntil(() => agents().length === 0, 5_000, 'the agent to stop with the app');
    // After a turn too (its event writer's connections open), Ctrl-C prints no warning or error.
    expect(logged(child).slice(beforeStop)).not.toMatch(/ (WARN|ERROR) /);
  });
});

describe.each([
  ['embedded Postgres', false],
  ['DATABASE_URL', true],
])('Ctrl-C while a turn runs, on %s', (_, external) => {
  it('the whole shutdown runs: the turn is stored as interrupted by the app itself, and nothing warns on the way down', async () => {
    const dataDir = testTempDir('paliadin-app-');
    const port = await freePort();
    const child = startApp({
      PORT: String(port),
      PALIADIN_DATA_DIR: dataDir,
      ...(external ? { DATABASE_URL: process.env.TEST_DATABASE_URL! } : {}),
      ...newcomer(),
    });
    const token = PRINTED_TOKEN.exec(await waitFor(child, PRINTED_TOKEN))![1];
    const turn = await fetch(`http://127.0.0.1:${port}/api/paliadin/turn`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ user_message: 'Was kannst du?' }),
    });
    const { turn_id } = (await turn.json()) as { turn_id: string };
    // The demo answer is streaming: meta and two words are in.
    const first = await readSse(`http://127.0.0.1:${port}`, `/api/paliadin/stream/${turn_id}`, {
      token,
      dropPings: true,
      stopAfterEvents: 3,
      timeoutMs: 30_000,
    });
    expect(first.ended).toBe(false);

    const beforeStop = logged(child).length;
    child.kill('SIGINT');
    const ended = await exitOf(child);
    // The app re-raises the signal once its shutdown has run to its end (src/app.stop.ts). The embedded-postgres library's own
    // exit hook (registered when the library was imported, whatever the database) used to end the process with
    // exit(130) instead: on DATABASE_URL a few milliseconds after the signal, on embedded Postgres as soon as it
    // had stopped Postgres, under the app's shutdown ("the database system is shutting down").
    expect(ended).toEqual({ code: null, signal: 'SIGINT' });
    expect(logged(child).slice(beforeStop)).not.toMatch(/ (WARN|ERROR) /);

    const db = external ? undefined : new EmbeddedDatabase(dataDir);
    try {
      const url = db ? (await db.start()).url : process.env.TEST_DATABASE_URL!;
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        const row = await c.query(`SELECT error_code FROM paliadin_turns WHERE turn_id = $1`, [turn_id]);
        expect(row.rows).toEqual([{ error_code: 'interrupted' }]);
        const last = await c.query(`SELECT kind, data FROM paliadin_turn_events WHERE turn_id = $1 ORDER BY seq DESC LIMIT 1`, [turn_id]);
        // Stored by the app as it stopped, not by the janitor of a later start.
        expect(JSON.stringify(last.rows[0])).toContain('The server running this turn shut down');
      } finally {
        await c.end();
      }
    } finally {
      await db?.stop();
    }
  });
});

describe('a graceful stop that does not end', () => {
  // A webhook receiver that takes the attempt and never answers holds the stop for PALIADIN_WEBHOOK_TIMEOUT_MS.
  const receiver = new WebhookReceiver();
  beforeAll(async () => {
    receiver.answer = () => ({ hang: true });
    await receiver.start();
  });
  afterAll(() => receiver.stop());

  /** An app on embedded Postgres whose stop hangs on a webhook attempt in flight; its Postgres's pid. */
  const hangingStop = async (env: Record<string, string>) => {
    const dataDir = testTempDir('paliadin-app-');
    const port = await freePort();
    const child = startApp({
      PORT: String(port),
      PALIADIN_DATA_DIR: dataDir,
      PALIADIN_BACKEND: 'disabled',
      NODE_ENV: 'development',
      PALIADIN_WEBHOOK_ALLOW_PRIVATE: 'true',
      PALIADIN_WEBHOOK_TIMEOUT_MS: '600000',
      PALIADIN_WEBHOOK_POLL_MS: '50',
      ...env,
    });
    const token = PRINTED_TOKEN.exec(await waitFor(child, PRINTED_TOKEN))![1];
    const auth = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
    const hookPath = `/hang-${port}`;
    const hook = await fetch(`http://127.0.0.1:${port}/api/webhooks`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ url: receiver.url(hookPath), events: ['turn.completed'] }),
    });
    const { id } = (await hook.json()) as { id: string };
    expect((await fetch(`http://127.0.0.1:${port}/api/webhooks/${id}/test`, { method: 'POST', headers: auth })).status).toBe(202);
    await waitUntil(() => receiver.for(hookPath).length === 1, 10_000, 'the attempt to reach the receiver');
    const pgPid = Number(readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
    return { child, pgPid };
  };
  it('a second Ctrl-C exits at once with 130, and the embedded Postgres is stopped all the same', async () => {
    const { child, pgPid } = await hangingStop({ PALIADIN_SHUTDOWN_TIMEOUT_MS: '600000' });
    const ended = exitOf(child);
    child.kill('SIGINT');
    // The first one is being acted on (and says how to cut it short) before the second is sent.
    await waitFor(child, /\[Shutdown\] SIGINT: stopping .*; SIGINT again, a second from now, exits at once/);
    // Past the second in which a repeat is taken for the same Ctrl-C told twice (npm start's forwarded copy).
    await new Promise((r) => setTimeout(r, 1_100));
    child.kill('SIGINT');
    expect(await ended).toEqual({ code: 130, signal: null });
    expect(logged(child)).toContain('paliadin: a second SIGINT: exiting without waiting for the graceful stop to end');
    await waitUntil(() => !isAlive(pgPid), 10_000, 'the embedded Postgres to stop');
  });

  it('PALIADIN_SHUTDOWN_TIMEOUT_MS cuts it: the process says so and exits with 1, the embedded Postgres stopped', async () => {
    const { child, pgPid } = await hangingStop({ PALIADIN_SHUTDOWN_TIMEOUT_MS: '500' });
    const ended = exitOf(child);
    child.kill('SIGTERM');
    expect(await ended).toEqual({ code: 1, signal: null });
    expect(logged(child)).toContain('paliadin: the graceful stop took longer than PALIADIN_SHUTDOWN_TIMEOUT_MS (500 ms): exiting without waiting for it');
    await waitUntil(() => !isAlive(pgPid), 10_000, 'the embedded Postgres to stop');
  });
});

describe('the app process in production', () => {
  it('logs structured JSON with credentials redacted; with no Anthropic credentials /health says the local backend is down and why', async () => {
    const port = await freePort();
    const secret = 'production-secret-that-is-at-least-32-chars';
    const child = startApp({
      NODE_ENV: 'production',
      PORT: String(port),
      DATABASE_URL: process.env.TEST_DATABASE_URL!,
      PALIADIN_JWT_SECRET: secret,
      PALIADIN_DATA_DIR: testTempDir('paliadin-app-'),
      HOME: testTempDir('paliadin-nocreds-'),
      ANTHROPIC_API_KEY: '',
      ANTHROPIC_BASE_URL: '',
    });
    await waitFor(child, /Nest application successfully started/);
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    expect(health.status).toBe(503);
    expect(((await health.json()) as { error: { backend: unknown } }).error.backend).toMatchObject({
      status: 'down',
      kind: 'local',
      detail: 'no Anthropic credentials: set ANTHROPIC_API_KEY or log in with claude',
    });

    const token = await userToken({ email: 'prod@example.com', secret: new TextEncoder().encode(secret) });
    await fetch(`http://127.0.0.1:${port}/api/paliadin/history?session=x`, {
      headers: { Authorization: `Bearer ${token}`, Cookie: `paliadin_token=${token}` },
    });
    await waitFor(child, /"url":"\/api\/paliadin\/history\?session=x"/);
    const jsonLines = logged(child)
      .split('\n')
      .filter((l) => l.startsWith('{'));
    expect(jsonLines.length).toBe(logged(child).split('\n').filter(Boolean).length);
    const request = jsonLines
      .map((l) => JSON.parse(l) as { req?: { url: string; headers: Record<string, string> } })
      .find((l) => l.req?.url === '/api/paliadin/history?session=x')!;
    expect(request.req!.headers).toMatchObject({ authorization: '[Redacted]', cookie: '[Redacted]' });
    expect(logged(child)).not.toContain(token.split('.')[2]);
  });
});

describe('start-up errors are one line naming the variable or resource, and exit 1', () => {
  const fails = async (env: Record<string, string>) => {
    const { code, out } = await exited(startApp({ PALIADIN_DATA_DIR: testTempDir('paliadin-app-'), PALIADIN_BACKEND: 'disabled', ...env }));
    return { code, out: out.trimEnd() };
  };

  it.each([
    [{ PORT: 'abc' }, 'Invalid configuration: PORT must be an integer between 1 and 65535 (got "abc")'],
    [{ PORT: '70000' }, 'Invalid configuration: PORT must be an integer between 1 and 65535 (got "70000")'],
    [{ PALIADIN_ACCEPT_SOCKETS: '1000' }, 'Invalid configuration: PALIADIN_ACCEPT_SOCKETS must be an integer between 1 and 256 (got "1000")'],
    [{ PALIADIN_RESPONSE_WAIT_MS: '-5' }, 'Invalid configuration: PALIADIN_RESPONSE_WAIT_MS must be an integer of at least 1 (got "-5")'],
    [{ PALIADIN_BACKEND: 'nonsense' }, 'Invalid configuration: PALIADIN_BACKEND must be one of local, remote, aichat, disabled (got "nonsense")'],
    [
      { NODE_ENV: 'production' },
      'Invalid configuration: PALIADIN_JWT_SECRET must be set in production (or PALIADIN_JWT_JWKS_URL, for tokens of an identity provider only)',
    ],
    [
      { PALIADIN_TRUST_PROXY: 'everyone' },
      'Invalid configuration: PALIADIN_TRUST_PROXY must be false, true, a number of proxy hops, or a comma list of proxy addresses or subnets (got "everyone")',
    ],
  ])('bad configuration %j', async (env, line) => {
    expect(await fails(env)).toEqual({ code: 1, out: line });
  });

  it('an unreachable DATABASE_URL: names DATABASE_URL and the host, never the password, no stack', async () => {
    const port = await freePort();
    const { code, out } = await fails({ DATABASE_URL: `postgres://paliadin:s3cret-pw@127.0.0.1:${port}/paliadin` });
    expect({ code, out }).toEqual({
      code: 1,
      out: `DATABASE_URL: cannot connect to Postgres at 127.0.0.1:${port}/paliadin (connect ECONNREFUSED 127.0.0.1:${port})`,
    });
  });

  it('a HOST that is not an address of this machine: one line naming HOST', async () => {
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): never a local address; binding to it fails without any traffic.
    const result = await fails({ HOST: '192.0.2.1', DATABASE_URL: process.env.TEST_DATABASE_URL! });
    expect(result).toEqual({ code: 1, out: 'HOST 192.0.2.1 is not an address of this machine: set HOST to one (127.0.0.1, 0.0.0.0)' });
  });

  // This app's own sockets share their port (SO_REUSEPORT); a holder that does too must still keep it for itself.
  it.each([
    ['a PORT in use', {}],
    ['a PORT held by a process that shares its port (as this app listens)', { reusePort: true }],
  ])('%s: one line naming PORT, nothing claims the app started', async (_, sharing) => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen({ port: 0, host: '127.0.0.1', ...sharing } as net.ListenOptions, r));
    const { port } = server.address() as net.AddressInfo;
    try {
      const result = await fails({ PORT: String(port), DATABASE_URL: process.env.TEST_DATABASE_URL! });
      expect(result).toEqual({ code: 1, out: `PORT ${port} is already in use on 127.0.0.1: stop the other process or set another PORT` });
    } finally {
      server.close();
    }
  });

  it('PALIADIN_ACCEPT_SOCKETS: that many listening sockets on PORT, every one serving the app, all closed on Ctrl-C', async () => {
    const port = await freePort();
    const child = startApp({ PORT: String(port), DATABASE_URL: process.env.TEST_DATABASE_URL!, PALIADIN_BACKEND: 'disabled', PALIADIN_ACCEPT_SOCKETS: '6' });
    await waitUntil(async () => (await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined))?.status === 200, 60_000, 'the app to listen');
    expect(listeningSockets(port)).toBe(6);
    // 300 connections of their own at once: the kernel spreads them over the six, and each is answered by the app.
    // A file the app serves, not /health: on a busy test database 300 health checks at once can time out (503).
    const answers = await Promise.all(
      Array.from(
        { length: 300 },
        () =>
          new Promise<number>((resolve, reject) => {
            const req = http.get(`http://127.0.0.1:${port}/paliadin-assets/favicon.svg`, { agent: false }, (res) => {
              res.resume();
              res.on('end', () => resolve(res.statusCode ?? 0));
            });
            req.on('error', reject);
          }),
      ),
    );
    expect(answers.filter((s) => s !== 200)).toEqual([]);
    child.kill('SIGINT');
    await exited(child);
    expect(listeningSockets(port)).toBe(0);
  });
});

/** `npm start` on embedded Postgres, the backend off, by npm itself: the one that runs this suite, or the one on PATH. */
async function npmStart(options: SpawnOptions): Promise<{ child: ChildProcess; dataDir: string; port: number }> {
  const dataDir = testTempDir('paliadin-npm-start-');
  const port = await freePort();
  const npm = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ['npm'];
  const child = spawn(npm[0], [...npm.slice(1), 'start', '--silent'], {
    env: { ...process.env, DATABASE_URL: '', PORT: String(port), PALIADIN_DATA_DIR: dataDir, PALIADIN_BACKEND: 'disabled', NODE_ENV: 'development' },
    ...options,
  });
  return { child, dataDir, port };
}

const servedOn = (port: number) =>
  waitUntil(async () => (await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined))?.status === 200, 60_000, 'npm start to serve');

describe('npm start under a process manager', () => {
  it('a SIGTERM to npm (what systemd, Docker or timeout send) stops the app and its Postgres, not only npm', async () => {
    const { child, dataDir, port } = await npmStart({ stdio: 'ignore' });
    let below: number[] = [];
    try {
      await servedOn(port);
      below = descendants(child.pid!);
      const pgPid = Number(readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
      expect(below).toContain(pgPid);
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      // The script execs node, so npm's forwarded signal reaches the app (a shell in between died alone, leaving it serving).
      await waitUntil(() => below.every((pid) => !isAlive(pid)), 30_000, 'the app and its Postgres to stop');
      expect(await fetch(`http://127.0.0.1:${port}/health`).catch(() => 'refused')).toBe('refused');
    } finally {
      child.kill('SIGKILL');
      killAll(below);
    }
  });
});

describe('npm start at a terminal', () => {
  it('Ctrl-C reaches npm and the app (one process group), not Postgres, and npm forwards its copy: taken as one Ctrl-C, the graceful stop runs to its end', async () => {
    // A process group of its own, as a shell gives a foreground job: the group's signal is what Ctrl-C sends.
    const { child, dataDir, port } = await npmStart({ stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const ended = new Promise((r) => child.once('exit', r));
    let below: number[] = [];
    try {
      await servedOn(port);
      below = descendants(child.pid!);
      const pgPid = Number(readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
      // Postgres has a process group of its own, out of the terminal's reach (field 3 of its stat is its group).
      expect(statFields(pgPid)![2]).toBe(String(pgPid));
      process.kill(-child.pid!, 'SIGINT');
      await ended;
      expect(out).toMatch(/\[Shutdown\] SIGINT: stopping/);
      // Without telling the echo from a second Ctrl-C, the forwarded copy cut the stop short here (exit 130).
      expect(out).not.toContain('a second SIGINT');
      expect(out).toContain('embedded Postgres stopped');
      // In npm's group, the Ctrl-C shut Postgres down at once, under the app's stop ("LISTEN connection lost:
      // terminating connection due to administrator command", the turns' last writes retried until the deadline).
      expect(out).not.toMatch(/ (WARN|ERROR) /);
      await waitUntil(() => below.every((pid) => !isAlive(pid)), 30_000, 'the app and its Postgres to stop');
    } finally {
      child.kill('SIGKILL');
      killAll(below);
    }
  });
});

/** The sockets listening on 127.0.0.1:`port` (/proc/net/tcp: local address in hex, state 0A). */
function listeningSockets(port: number): number {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .filter((line) => {
      const cols = line.trim().split(/\s+/);
      return cols[1] === local && cols[3] === '0A';
    }).length;
}
