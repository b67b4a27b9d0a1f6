import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { isAlive } from '../support/process.js';
import { readSse } from '../support/sse-client.js';
import { waitUntil } from '../support/wait.js';
import { freePort } from '../../src/database/embedded-postgres.js';

/** The compiled app (built by the test global setup), run as `npm start` runs it. */
const children = new Set<ChildProcess>();

function startApp(env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['dist/src/main.js'], {
    env: { ...process.env, DATABASE_URL: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

// A failed assertion must not leave an app (and its Postgres) running: SIGINT stops both.
afterEach(async () => {
  await Promise.all(
    [...children].map((c) => {
      c.kill('SIGINT');
      return new Promise((r) => c.once('exit', r));
    }),
  );
});

const output = new WeakMap<ChildProcess, string>();
const logged = (child: ChildProcess) => output.get(child) ?? '';

function waitFor(child: ChildProcess, pattern: RegExp): Promise<string> {
  if (!output.has(child)) {
    output.set(child, '');
    const keep = (d: Buffer) => output.set(child, logged(child) + d.toString());
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
  }
  return new Promise((resolve, reject) => {
    let out = '';
    if (pattern.test(logged(child))) return resolve(logged(child));
    const onData = (d: Buffer) => {
      out += d.toString();
      if (pattern.test(logged(child))) resolve(logged(child));
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`app exited with ${code} before ${pattern}: ${out.slice(-2000)}`)));
  });
}


describe('the app process', () => {
  it('boots on embedded Postgres with no setup, prints a token, serves /health and /docs, and Ctrl-C leaves no postgres', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'paliadin-app-'));
    const port = await freePort();
    const child = startApp({ PORT: String(port), PALIADIN_DATA_DIR: dataDir, PALIADIN_BACKEND: 'disabled', NODE_ENV: 'development' });
    const out = await waitFor(child, /Dev token for owner@example\.com[^\n]*\n\s+(\S+)/);
    const token = /Dev token for owner@example\.com[^\n]*\n\s+(\S+)/.exec(out)![1];
    expect(token.split('.')).toHaveLength(3);

    const health = await fetch(`http://127.0.0.1:${port}/health`);
    expect(health.status).toBe(200);
    // Credentials never reach the log: not the header, not the cookie, not the query parameter.
    const signature = token.split('.')[2];
    await fetch(`http://127.0.0.1:${port}/api/paliadin/history?session=x&access_token=${token}`, {
      headers: { Authorization: `Bearer ${token}`, Cookie: `paliadin_token=${token}` },
    });
    await fetch(`http://127.0.0.1:${port}/api/paliadin/stream/00000000-0000-4000-8000-000000000000?access_token=${token}`);
    await waitFor(child, /stream\/00000000-0000-4000-8000-000000000000\?access_token=\[Redacted\]/);
    expect((await fetch(`http://127.0.0.1:${port}/docs`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/docs-json`)).status).toBe(200);

    // The dev hint prints the token on purpose; the JSON log lines must never hold it.
    const logLines = logged(child).split('\n').filter((l) => l.startsWith('{')).join('\n');
    expect(logLines).toContain('"authorization":"[Redacted]"');
    expect(logLines).toContain('"cookie":"[Redacted]"');
    expect(logLines).not.toContain(signature);

    const pgPid = Number(readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
    expect(isAlive(pgPid)).toBe(true);
    child.kill('SIGINT');
    const code = await new Promise((r) => child.once('exit', (c, s) => r(c ?? s)));
    // 0, or the conventional 130 of a process ended by SIGINT.
    expect([0, 130, 'SIGINT']).toContain(code);
    expect(isAlive(pgPid)).toBe(false);
  });

  it('first run with no Anthropic credentials: the demo model answers a turn through the real Claude Code, and says so everywhere', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'paliadin-app-'));
    const port = await freePort();
    // As a newcomer's `npm start`: development, default (local) backend, node_modules/.bin on PATH, no credentials.
    const child = startApp({
      PORT: String(port),
      PALIADIN_DATA_DIR: dataDir,
      NODE_ENV: 'development',
      HOME: mkdtempSync(path.join(os.tmpdir(), 'paliadin-newcomer-')),
      PATH: `${path.resolve('node_modules/.bin')}:${process.env.PATH}`,
      ANTHROPIC_API_KEY: '',
      ANTHROPIC_BASE_URL: '',
    });
    const out = await waitFor(child, /Dev token for owner@example\.com[^\n]*\n\s+(\S+)/);
    const token = /Dev token for owner@example\.com[^\n]*\n\s+(\S+)/.exec(out)![1];
    expect(out).toMatch(/Backend: +up \(agent \S+claude \(stream-json\); 0\/8 agents live; demo model: no Anthropic credentials/);
    expect(out).toMatch(/"context":"LocalBackend","msg":"demo model: /);
    const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { info: { backend: { detail: string } } };
    expect(health.info.backend.detail).toContain('demo model');

    const auth = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
    const turn = await fetch(`http://127.0.0.1:${port}/api/paliadin/turn`, { method: 'POST', headers: auth, body: JSON.stringify({ user_message: 'Was kannst du?' }) });
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
    child.kill('SIGINT');
    await new Promise((r) => child.once('exit', r));
    await waitUntil(() => agents().length === 0, 5_000, 'the agent to stop with the app');
  });

  it('refuses to boot on bad configuration with one line naming the variable', async () => {
    const child = startApp({ PALIADIN_BACKEND: 'nonsense', PALIADIN_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'paliadin-app-')) });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(1);
    expect(stderr.trim()).toBe('Invalid configuration: PALIADIN_BACKEND must be one of local, remote, aichat, disabled (got "nonsense")');
  });

  it('refuses to start in production without PALIADIN_JWT_SECRET', async () => {
    const child = startApp({ NODE_ENV: 'production', PALIADIN_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'paliadin-app-')) });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    expect(await new Promise((r) => child.once('exit', r))).toBe(1);
    expect(stderr.trim()).toBe('Invalid configuration: PALIADIN_JWT_SECRET must be set in production');
  });
});
