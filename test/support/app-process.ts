import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../../src/database/embedded-postgres.js';
import { testTempDir } from './temp-dirs.js';
import { SHARED_HEARTBEAT_MS, TEST_JWT_SECRET } from './test-app.js';
import { tokenFor } from './tokens.js';
import { waitUntil } from './wait.js';

/** The compiled app (built by the test global setup), run as `npm start` runs it. */
const children = new Set<ChildProcess>();
const output = new WeakMap<ChildProcess, string>();

export function startApp(env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['dist/src/main.js'], {
    env: { ...process.env, DATABASE_URL: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  output.set(child, '');
  const keep = (d: Buffer) => output.set(child, logged(child) + d.toString());
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Everything the app printed so far, stdout and stderr. */
export const logged = (child: ChildProcess): string => output.get(child) ?? '';

/** Stops every app still running (call it in afterEach: a failed assertion must not leave an app and its Postgres). */
export async function stopApps(): Promise<void> {
  await Promise.all(
    [...children].map((c) => {
      // One a test paused (SIGSTOP) would not hear the SIGINT.
      c.kill('SIGCONT');
      c.kill('SIGINT');
      return new Promise((r) => c.once('exit', r));
    }),
  );
}

/** Resolves with the output once it matches; rejects if the app exits first. */
export function waitFor(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    if (pattern.test(logged(child))) {
      resolve(logged(child));
      return;
    }
    const onData = () => {
      if (pattern.test(logged(child))) resolve(logged(child));
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`app exited with ${code} before ${pattern}: ${logged(child).slice(-2000)}`)));
  });
}

/** The exit code and everything printed, once the app has exited by itself. */
export async function exited(child: ChildProcess): Promise<{ code: number | null; out: string }> {
  const code = child.exitCode ?? (await new Promise<number | null>((r) => child.once('exit', (c) => r(c))));
  return { code, out: logged(child) };
}

/** The token the development start-up prints, last. */
export const PRINTED_TOKEN = /User token \(a JWT\) for owner@example\.com[^\n]*\n\s+(\S+)/;

/**
 * An instance as its own process (as `npm start` runs it) on the test
 * database, ready (its /health answers 200, or with `anyHealth` at all: its
 * backend may be down): to be killed for real. `env` adds the backend's
 * settings; `dataDir` is a fresh temporary one unless given.
 */
export async function startInstance(
  env: Record<string, string>,
  { anyHealth = false, dataDir = testTempDir('paliadin-instance-') }: { anyHealth?: boolean; dataDir?: string } = {},
): Promise<{ child: ChildProcess; url: string; dataDir: string }> {
  const port = await freePort();
  const child = startApp({
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    PORT: String(port),
    DATABASE_URL: process.env.TEST_DATABASE_URL!,
    PALIADIN_DATA_DIR: dataDir,
    PALIADIN_JWT_SECRET: TEST_JWT_SECRET,
    PALIADIN_OWNER_EMAILS: '',
    PALIADIN_RUNNER_HEARTBEAT_MS: SHARED_HEARTBEAT_MS,
    ...env,
  });
  const url = `http://127.0.0.1:${port}`;
  const ready = async () => {
    const status = (await fetch(`${url}/health`).catch(() => undefined))?.status;
    return anyHealth ? status !== undefined : status === 200;
  };
  await waitUntil(ready, 30_000, `the instance: ${logged(child)}`);
  return { child, url, dataDir };
}

/** POST /api/paliadin/turn to an instance as `email`; the turn id. */
export async function postTurn(url: string, email: string, body: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${url}/api/paliadin/turn`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${await tokenFor(email)}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 200) throw new Error(`POST /turn answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { turn_id: string }).turn_id;
}
