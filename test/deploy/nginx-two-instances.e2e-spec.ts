import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createClient, type TurnEvent } from '@paliadin/client';
import { parse } from 'yaml';
import { freePort } from '../../src/database/embedded-postgres.js';
import { FakeAichat, frame } from '../support/fake-aichat.js';
import { isolatedDatabase } from '../support/isolated-database.js';
import { requireTools } from '../support/prerequisites.js';
import { readSse, type SseEvent } from '../support/sse-client.js';
import { testTempDir } from '../support/temp-dirs.js';
import { TEST_JWT_SECRET } from '../support/test-app.js';
import { tokenFor } from '../support/tokens.js';
import { waitUntil } from '../support/wait.js';

const NGINX = '/usr/sbin/nginx';
const TEMPLATE = path.resolve('docs/deploy/nginx.conf.template');
const CHUNKS = 30;
const answerOf = (message: string) => Array.from({ length: CHUNKS }, (_, i) => `${message}-${i} `).join('');

/** The template as the nginx image renders it: its ${VARS} put in, nginx's own $variables left alone. */
function render(template: string, vars: Record<string, string>): string {
  return template.replace(/\$\{([A-Z0-9_]+)\}/g, (_, name: string) => {
    if (!(name in vars)) throw new Error(`the nginx template needs ${name}`);
    return vars[name];
  });
}

/**
 * Several instances, proven: Debian's nginx, configured from the repository's
 * template, in front of two real app processes on one Postgres. Turns run
 * through the proxy; the instance running a turn is killed mid-answer, and
 * the client's stream resumes through the proxy on the other one with every
 * event exactly once and the whole answer in the end.
 */
describe('nginx in front of two instances', () => {
  requireTools('The deployment tests', [NGINX], 'nginx');
  let db: { url: string; drop: () => Promise<void> };
  let fake: FakeAichat;
  let dir: string;
  let nginx: ChildProcess | undefined;
  let proxy: string;
  const apps = new Map<string, ChildProcess>();
  let nginxLog = '';

  beforeAll(async () => {
    db = await isolatedDatabase();
    fake = new FakeAichat();
    // Each answer streams over about three seconds; aichat keeps it whole in its conversation store.
    fake.script = (body, f) => {
      const conv = f.record(body, answerOf(body.message).trimEnd());
      const chunks = Array.from({ length: CHUNKS }, (_, i) => [frame({ type: 'chunk', content: `${body.message}-${i} ` }), { pauseMs: 100 }]).flat();
      return { stream: [frame({ type: 'conversation', conversation_id: conv.id }), ...chunks, frame({ type: 'done', response: '' })] };
    };
    await fake.start();

    const ports = [await freePort(), await freePort()];
    for (const port of ports) {
      const child = spawn(process.execPath, ['dist/src/main.js'], {
        env: {
          ...process.env,
          NODE_ENV: 'test',
          LOG_LEVEL: 'warn',
          HOST: '127.0.0.1',
          PORT: String(port),
          DATABASE_URL: db.url,
          PALIADIN_JWT_SECRET: TEST_JWT_SECRET,
          PALIADIN_OWNER_EMAILS: '',
          PALIADIN_TRUST_PROXY: 'loopback',
          PALIADIN_BACKEND: 'aichat',
          PALIADIN_AICHAT_URL: fake.url,
          PALIADIN_AICHAT_TOKEN: fake.token,
          // A runner is taken for dead after three missed beats: 900 ms here, so a busy machine (the whole suite on
          // two cores) does not get a live instance's turn ended by the other's janitor; a killed one is still found fast.
          PALIADIN_RUNNER_HEARTBEAT_MS: '300',
          PALIADIN_JANITOR_INTERVAL_MS: '100',
          PALIADIN_POST_RATE_LIMIT: '10000',
          PALIADIN_PING_INTERVAL_MS: '500',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      apps.set(`127.0.0.1:${port}`, child);
      await waitUntil(async () => (await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined))?.status === 200, 30_000, `instance on ${port}`);
    }

    dir = testTempDir('paliadin-nginx-');
    chmodSync(dir, 0o755);
    const listen = await freePort();
    proxy = `http://127.0.0.1:${listen}`;
    const [one, two] = [...apps.keys()];
    writeFileSync(
      path.join(dir, 'paliadin.conf'),
      render(readFileSync(TEMPLATE, 'utf8'), { PALIADIN_UPSTREAM_1: one, PALIADIN_UPSTREAM_2: two, NGINX_LISTEN: `127.0.0.1:${listen}` }),
    );
    for (const t of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(path.join(dir, t));
    // What the nginx image's own nginx.conf gives around conf.d, with every path in the test's directory.
    writeFileSync(
      path.join(dir, 'nginx.conf'),
      `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  include ${dir}/paliadin.conf;
}
`,
    );
    nginx = spawn(NGINX, ['-p', dir, '-c', path.join(dir, 'nginx.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    nginx.stderr!.on('data', (d: Buffer) => (nginxLog += d.toString()));
    await waitUntil(async () => (await fetch(`${proxy}/health`).catch(() => undefined))?.status === 200, 10_000, `nginx: ${nginxLog}`);
  });

  afterAll(async () => {
    const stopping = [...apps.values(), ...(nginx ? [nginx] : [])]
      .filter((c) => c.exitCode === null && c.signalCode === null)
      .map((c) => {
        c.kill(c === nginx ? 'SIGQUIT' : 'SIGINT');
        return new Promise((r) => c.once('exit', r));
      });
    await Promise.all(stopping);
    await fake?.stop();
    await db?.drop();
  });

  async function post(email: string, message: string): Promise<{ turnId: string; upstream: string; token: string }> {
    const token = await tokenFor(email);
    const res = await fetch(`${proxy}/api/paliadin/turn`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ user_message: message }),
    });
    expect(res.status).toBe(200);
    const { turn_id } = (await res.json()) as { turn_id: string };
    return { turnId: turn_id, upstream: res.headers.get('x-paliadin-upstream') ?? '', token };
  }

  const text = (events: SseEvent[]) =>
    events
      .filter((e) => e.event === 'content')
      .map((e) => (e.data as { delta?: string; text?: string }).delta ?? (e.data as { text: string }).text)
      .join('');

  it('turns go through the proxy to both instances, and every stream is whole', async () => {
    const started = await Promise.all([0, 1, 2, 3].map((i) => post(`via-proxy${i}@example.com`, `proxied${i}`)));
    expect(new Set(started.map((s) => s.upstream))).toEqual(new Set(apps.keys()));
    for (const [i, s] of started.entries()) {
      const read = await readSse(proxy, `/api/paliadin/stream/${s.turnId}`, { token: s.token, dropPings: true, timeoutMs: 30_000 });
      expect(read.headers['content-type']).toMatch(/^text\/event-stream/);
      expect(read.events.map((e) => Number(e.id))).toEqual(read.events.map((_, k) => k + 1));
      expect(read.events.at(-1)!.event).toBe('end');
      expect(text(read.events)).toBe(answerOf(`proxied${i}`));
    }
  });

  /**
   * A client that reads a turn's stream through the proxy as EventSource does: on a dropped
   * connection it resumes from the last id it had, and after a retryable error (the answer may
   * come late) it comes back once the turn has its answer, until the turn has ended for good.
   */
  async function follow(turnId: string, token: string, onEvent?: (all: SseEvent[]) => void) {
    const seen: SseEvent[] = [];
    const connections: SseEvent[][] = [];
    for (let attempt = 0; attempt < 30 && seen.at(-1)?.event !== 'end'; attempt++) {
      const last = seen.at(-1);
      if (last?.event === 'error') {
        expect(last.data).toMatchObject({ code: 'interrupted', retryable: true });
        await waitUntil(
          async () => {
            const res = await fetch(`${proxy}/api/paliadin/turns/${turnId}`, { headers: { Authorization: `Bearer ${token}` } });
            return ((await res.json()) as { response: string | null }).response !== null;
          },
          20_000,
          'the late answer',
        );
      }
      const read = await readSse(proxy, `/api/paliadin/stream/${turnId}`, {
        token,
        dropPings: true,
        lastEventId: last?.id,
        timeoutMs: 30_000,
        onEvent: (_, all) => onEvent?.([...seen, ...all]),
      });
      expect(read.status).toBe(200);
      connections.push(read.events);
      seen.push(...read.events);
    }
    return { seen, connections };
  }

  it('the instance running a turn dies mid-answer: the streams resume through the proxy on the other one, nothing lost or repeated', async () => {
    const email = 'survivor@example.com';
    const { turnId, upstream, token } = await post(email, 'survive');
    const runner = apps.get(upstream)!;
    let killed = false;
    const kill = (all: SseEvent[]) => {
      if (!killed && all.filter((e) => e.event === 'content').length === 5) {
        killed = true;
        runner.kill('SIGKILL');
      }
    };
    // The client SDK through the proxy too: its events resume by themselves, its answer() falls back to /recover.
    const client = createClient({ baseUrl: proxy, token, retry: { baseMs: 20, maxMs: 200 } });
    const clientEvents = (async () => {
      const events: TurnEvent[] = [];
      for await (const ev of client.turns.events(turnId)) events.push(ev);
      return events;
    })();
    const clientAnswer = client.turns.answer(turnId);
    // Two readers at once: the proxy sends them to different instances, so one of them is on the runner.
    const readers = await Promise.all([follow(turnId, token, kill), follow(turnId, token)]);
    expect(killed).toBe(true);
    expect(await clientAnswer).toBe(answerOf('survive').trimEnd());
    const events = await clientEvents;
    expect(events.map((e) => Number(e.id))).toEqual(events.map((_, k) => k + 1));
    expect(['end', 'error']).toContain(events.at(-1)!.event);
    // The reader on the dying instance lost its connection before any end or error, and resumed.
    expect(readers.some((r) => r.connections.length > 1 && !r.connections[0].some((e) => e.event === 'end' || e.event === 'error'))).toBe(true);
    for (const { seen } of readers) {
      // Every event exactly once, in order, across the connections and the two instances.
      expect(seen.map((e) => Number(e.id))).toEqual(seen.map((_, k) => k + 1));
      expect(seen.at(-1)!.event).toBe('end');
      // What streamed before the death is the answer's start; the whole answer came after (from aichat's store).
      const whole = (seen.findLast((e) => e.event === 'content')!.data as { text: string }).text;
      expect(whole).toBe(answerOf('survive').trimEnd());
      const streamed = seen
        .filter((e) => e.event === 'content' && 'delta' in (e.data as object))
        .map((e) => (e.data as { delta: string }).delta)
        .join('');
      expect(streamed.length).toBeGreaterThan(0);
      expect(whole.startsWith(streamed)).toBe(true);
    }
    // The surviving instance serves new turns through the proxy as before.
    const after = await post(email, 'after');
    expect(after.upstream).not.toBe(upstream);
    const read = await readSse(proxy, `/api/paliadin/stream/${after.turnId}`, { token, dropPings: true, timeoutMs: 30_000 });
    expect(read.events.at(-1)!.event).toBe('end');
  });
});

describe('docker-compose.yml', () => {
  const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as {
    services: Record<
      string,
      { environment?: Record<string, string>; volumes?: string[]; depends_on?: unknown; ports?: string[]; image?: string; command?: string }
    >;
  };
  const template = readFileSync(TEMPLATE, 'utf8');

  it('runs Postgres, two instances and nginx with the tested template, every variable of it set', () => {
    const { postgres, nginx, ...rest } = compose.services;
    expect(postgres.image).toMatch(/^postgres:/);
    expect(Object.keys(rest).sort()).toEqual(['paliadin-1', 'paliadin-2']);
    expect(nginx.volumes).toContain('./docs/deploy/nginx.conf.template:/etc/nginx/templates/default.conf.template:ro');
    const needed = [...template.matchAll(/\$\{([A-Z0-9_]+)\}/g)].map((m) => m[1]);
    expect(new Set(needed)).toEqual(new Set(['PALIADIN_UPSTREAM_1', 'PALIADIN_UPSTREAM_2', 'NGINX_LISTEN']));
    // The rendering the suite runs is the one the image makes from this environment.
    const rendered = render(template, nginx.environment!);
    expect(rendered).toContain('server paliadin-1:3000');
    expect(rendered).toContain('server paliadin-2:3000');
    expect(nginx.ports).toContain(`8080:${nginx.environment!.NGINX_LISTEN}`);
  });

  it('the instances share one database, listen where nginx sends them, and trust the proxy', () => {
    const env = (name: string) => compose.services[name].environment!;
    for (const name of ['paliadin-1', 'paliadin-2']) {
      expect(env(name)).toMatchObject({ NODE_ENV: 'production', HOST: '0.0.0.0', PORT: '3000', PALIADIN_TRUST_PROXY: '1' });
      expect(env(name).DATABASE_URL).toBe('postgres://paliadin:paliadin@postgres:5432/paliadin');
      expect(env(name).PALIADIN_JWT_SECRET).toMatch(/^\$\{PALIADIN_JWT_SECRET:\?/);
      // docker stop's SIGTERM must reach the app: the shell execs npm, whose start script execs node
      // (test/database/app-process.e2e-spec.ts stops `npm start` that way).
      expect(compose.services[name].command).toMatch(/&& exec npm run -s start:prod"$/);
    }
  });
});
