import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { freePort } from '../../../src/database/embedded-postgres.js';
import { TEST_JWT_SECRET } from '../../support/test-app.js';
import { waitUntil } from '../../support/wait.js';

/** The processes a bench starts: stopped by stopAll() in its afterAll. */
const children: ChildProcess[] = [];

/** A support script (prints its port on its first line) in its own process. */
export function child(args: string[], env: Record<string, string> = {}): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(proc);
  let err = '';
  proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    proc.stdout.once('data', (d: Buffer) => resolve({ proc, port: Number(d.toString().trim().split('\n')[0]) }));
    proc.once('exit', (code) => reject(new Error(`${args[0]} exited with ${code}: ${err.slice(-1000)}`)));
  });
}

// The V8 heap settings and malloc tuning `npm start` runs the gateway with (package.json, config.nodeFlags and config.mallocEnv).
const START_CONFIG = (JSON.parse(readFileSync('package.json', 'utf8')) as { config: { nodeFlags: string; mallocEnv: string } }).config;
export const NODE_FLAGS = START_CONFIG.nodeFlags.split(' ');
const MALLOC_ENV = Object.fromEntries(START_CONFIG.mallocEnv.split(' ').map((kv) => kv.split('=') as [string, string]));

/** The compiled gateway as `npm start` runs it, in production mode, on its own port; aichat backend on `upstream` unless env says otherwise. */
export async function gateway(
  upstream: string,
  dbUrl: string,
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
): Promise<{ base: string; proc: ChildProcess }> {
  const port = await freePort();
  // BENCH_GATEWAY_NODE_ARGS adds Node flags to every gateway of a bench, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile it.
  const extra = process.env.BENCH_GATEWAY_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  // BENCH_GATEWAY_STDOUT=<file> keeps what the gateways print there (e.g. with --trace-gc in BENCH_GATEWAY_NODE_ARGS).
  const stdout = process.env.BENCH_GATEWAY_STDOUT ? openSync(process.env.BENCH_GATEWAY_STDOUT, 'a') : 'ignore';
  const proc = spawn(process.execPath, [...NODE_FLAGS, ...extra, ...nodeArgs, 'dist/src/main.js'], {
    env: {
      ...process.env,
      ...MALLOC_ENV,
      NODE_ENV: 'production',
      // No request log lines unless asked for (BENCH_GATEWAY_LOG_LEVEL=info is npm start's default).
      LOG_LEVEL: process.env.BENCH_GATEWAY_LOG_LEVEL ?? 'error',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: dbUrl,
      PALIADIN_JWT_SECRET: TEST_JWT_SECRET,
      PALIADIN_OWNER_EMAILS: '',
      PALIADIN_BACKEND: 'aichat',
      PALIADIN_AICHAT_URL: upstream,
      PALIADIN_AICHAT_TOKEN: 'bench',
      PALIADIN_MAX_INFLIGHT_PER_USER: '1000',
      PALIADIN_POST_RATE_LIMIT: '1000000',
      ...env,
    },
    stdio: ['ignore', stdout, 'inherit'],
  });
  // The gateway has its own copy of the file's descriptor now; this process's is not needed.
  if (typeof stdout === 'number') closeSync(stdout);
  children.push(proc);
  const base = `http://127.0.0.1:${port}`;
  await waitUntil(async () => (await fetch(`${base}/health`).catch(() => undefined))?.status === 200, 60_000, 'the gateway to start');
  return { base, proc };
}

/** SIGINT, and returns once the process has exited. */
export async function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGINT');
  await exited;
}

export const stopAll = () => Promise.all(children.map(stop));

export const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

export const now = () => performance.timeOrigin + performance.now();

export const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

/** A row of a bench's printed table. */
export interface BenchRow {
  what: string;
  goal: string;
  measured: string;
  baseline: string;
  ratio: string;
  ok: boolean;
}

/** Prints the rows as the table every bench ends with. */
export function printTable(title: string, baselineTitle: string, rows: BenchRow[], measuredTitle = 'gateway'): void {
  const w = { what: 44, goal: 26, measured: 12, baseline: 22, ratio: 8 };
  const line = (r: Record<keyof typeof w, string>) =>
    Object.entries(w)
      .map(([k, n]) => r[k as keyof typeof w].padEnd(n))
      .join(' | ');
  process.stdout.write(`\n${line({ what: title, goal: 'goal', measured: measuredTitle, baseline: baselineTitle, ratio: 'ratio' })} | ok\n`);
  for (const r of rows) process.stdout.write(`${line(r)} | ${r.ok ? 'yes' : 'NO'}\n`);
}
