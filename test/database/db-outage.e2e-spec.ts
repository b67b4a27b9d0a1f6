import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { freePort } from '../../src/database/embedded-postgres.js';
import { FakeAichat, frame } from '../support/fake-aichat.js';
import { isolatedDatabase } from '../support/isolated-database.js';
import { readSse, type SseRead } from '../support/sse-client.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { TEST_JWT_SECRET } from '../support/test-app.js';
import { tokenFor } from '../support/tokens.js';
import { waitUntil } from '../support/wait.js';

const CHUNKS = 20;
const answerOf = (message: string) => Array.from({ length: CHUNKS }, (_, k) => `${message}-${k} `).join('');

/**
 * The database goes away under live turns: the app (a real process, so an
 * unhandled rejection would kill it) survives, and every turn reaches a
 * terminal state, with the row and the stream agreeing, once it is back.
 * The database is real; a TCP proxy between it and the app fails the network.
 */
describe('a database outage under live turns', () => {
  let db: { url: string; drop: () => Promise<void> };
  let proxy: TcpProxy;
  let fake: FakeAichat;
  let app: ChildProcess;
  let base: string;
  let direct: pg.Client;
  let output = '';

  beforeAll(async () => {
    db = await isolatedDatabase();
    const target = new URL(db.url);
    proxy = new TcpProxy(target.hostname, Number(target.port));
    await proxy.start();
    const viaProxy = new URL(db.url);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    fake = new FakeAichat();
    // Each turn streams its chunks over about a second, while the database comes and goes.
    fake.script = (body, f) => {
      // aichat keeps the whole answer in its conversation store, whatever becomes of the stream.
      const conv = f.record(body, answerOf(body.message).trimEnd());
      const chunks = Array.from({ length: CHUNKS }, (_, i) => [frame({ type: 'chunk', content: `${body.message}-${i} ` }), { pauseMs: 50 }]).flat();
      return { stream: [frame({ type: 'conversation', conversation_id: conv.id }), ...chunks, frame({ type: 'done', response: '' })] };
    };
    await fake.start();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    app = spawn(process.execPath, ['dist/src/main.js'], {
      env: {
        ...process.env,
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        PORT: String(port),
        DATABASE_URL: viaProxy.toString(),
        PALIADIN_JWT_SECRET: TEST_JWT_SECRET,
        PALIADIN_OWNER_EMAILS: '',
        PALIADIN_BACKEND: 'aichat',
        PALIADIN_AICHAT_URL: fake.url,
        PALIADIN_AICHAT_TOKEN: fake.token,
        PALIADIN_DB_POOL_WAIT_MS: '300',
        PALIADIN_DB_RETRY_MS: '4000',
        PALIADIN_RUNNER_HEARTBEAT_MS: '100',
        PALIADIN_JANITOR_INTERVAL_MS: '100',
        PALIADIN_POST_RATE_LIMIT: '10000',
        PALIADIN_SILENCE_TIMEOUT_MS: '60000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    app.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    app.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    await waitUntil(async () => (await fetch(`${base}/health`).catch(() => undefined))?.status === 200, 30_000, `the app to start: ${output.slice(-500)}`);
    direct = new pg.Client({ connectionString: db.url });
    await direct.connect();
  });
  afterAll(async () => {
    if (app.exitCode === null) {
      app.kill('SIGINT');
      await new Promise((r) => app.once('exit', r));
    }
    await direct.end();
    await fake.stop();
    await proxy.stop();
    await db.drop();
  });

  /** Starts `n` turns and a reader for each; resolves to their ids and reads. */
  async function liveTurns(tag: string, n: number): Promise<{ ids: string[]; reads: Promise<SseRead>[] }> {
    const ids: string[] = [];
    const reads: Promise<SseRead>[] = [];
    for (let i = 0; i < n; i++) {
      const email = `${tag}${i % 3}@example.com`;
      const token = await tokenFor(email);
      const res = await fetch(`${base}/api/paliadin/turn`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ user_message: `${tag}${i}` }),
      });
      expect(res.status).toBe(200);
      const { turn_id } = (await res.json()) as { turn_id: string };
      ids.push(turn_id);
      reads.push(readSse(base, `/api/paliadin/stream/${turn_id}`, { token, dropPings: true, timeoutMs: 60_000 }));
    }
    return { ids, reads };
  }

  /**
   * Every turn finished, its stream gap-free, and the row agreeing with it: a
   * turn that ends with `end` carries the whole answer, streamed, or (after an
   * error) delivered late from aichat's store. Returns each stream's kinds of
   * terminal events, e.g. ['end'] or ['error', 'end'].
   */
  async function expectSettled(ids: string[], tag: string): Promise<string[][]> {
    await waitUntil(
      async () => (await direct.query(`SELECT count(*)::int AS n FROM paliadin_turns WHERE turn_id = ANY($1) AND finished_at IS NULL`, [ids])).rows[0].n === 0,
      30_000,
      'every turn to finish',
    );
    const outcomes: string[][] = [];
    for (const [i, id] of ids.entries()) {
      const { rows } = await direct.query(`SELECT response, error_code FROM paliadin_turns WHERE turn_id = $1`, [id]);
      const token = await tokenFor(`${tag}${i % 3}@example.com`);
      const events = (await readSse(base, `/api/paliadin/stream/${id}`, { token, dropPings: true })).events;
      expect(events.map((e) => Number(e.id))).toEqual(events.map((_, k) => k + 1));
      const terminal = events.filter((e) => e.event === 'end' || e.event === 'error');
      const last = events.at(-1)!;
      if (last.event === 'end') {
        const late = events.findLast((e) => e.event === 'content' && 'text' in (e.data as object));
        const text = late
          ? (late.data as { text: string }).text
          : events
              .filter((e) => e.event === 'content')
              .map((e) => (e.data as { delta: string }).delta)
              .join('')
              .trimEnd();
        expect(text).toBe(answerOf(`${tag}${i}`).trimEnd());
        expect(rows[0].response).toBe(text);
        // `end` only ever follows a gap-free stream: streamed deltas are the answer's start, in order.
        const deltas = events
          .filter((e) => e.event === 'content' && 'delta' in (e.data as object))
          .map((e) => (e.data as { delta: string }).delta)
          .join('');
        expect(answerOf(`${tag}${i}`).startsWith(deltas)).toBe(true);
      } else {
        expect(last.event).toBe('error');
        expect(rows[0].response).toBeNull();
        expect(rows[0].error_code).toBe((last.data as { code: string }).code);
      }
      outcomes.push(terminal.map((e) => (e.event === 'end' ? 'end' : (e.data as { code: string }).code)));
    }
    return outcomes;
  }

  it('killed for a moment (every connection reset, new ones refused): the process lives on and every turn ends with its full answer', async () => {
    const { ids, reads } = await liveTurns('cut', 6);
    await new Promise((r) => setTimeout(r, 300));
    proxy.cut();
    await new Promise((r) => setTimeout(r, 1_500));
    proxy.restore();
    const live = await Promise.all(reads);
    expect(app.exitCode).toBeNull();
    for (const r of live) expect(r.events.at(-1)?.event).toMatch(/^(end|error)$/);
    expect(await expectSettled(ids, 'cut')).toEqual(ids.map(() => ['end']));
  });

  it('hung for a moment (no byte either way): the same', async () => {
    const { ids, reads } = await liveTurns('hang', 6);
    await new Promise((r) => setTimeout(r, 300));
    proxy.pause();
    await new Promise((r) => setTimeout(r, 1_000));
    proxy.resume();
    await Promise.all(reads);
    expect(app.exitCode).toBeNull();
    expect(await expectSettled(ids, 'hang')).toEqual(ids.map(() => ['end']));
  });

  it('gone for longer than PALIADIN_DB_RETRY_MS: the turns end as interrupted once it is back, and get their answers late from aichat', async () => {
    const { ids, reads } = await liveTurns('long', 4);
    await new Promise((r) => setTimeout(r, 300));
    proxy.cut();
    // Meanwhile the API says "come back later", never 500.
    const token = await tokenFor('long0@example.com');
    const post = await fetch(`${base}/api/paliadin/turn`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: '{"user_message":"x"}',
    });
    expect(post.status).toBe(503);
    expect(post.headers.get('retry-after')).toBe('2');
    await new Promise((r) => setTimeout(r, 5_000));
    proxy.restore();
    await Promise.all(reads.map((r) => r.catch(() => undefined)));
    expect(app.exitCode).toBeNull();
    await waitUntil(
      async () => (await direct.query(`SELECT count(*)::int AS n FROM paliadin_turns WHERE turn_id = ANY($1) AND response IS NULL`, [ids])).rows[0].n === 0,
      30_000,
      'the late answers',
    );
    const outcomes = await expectSettled(ids, 'long');
    // A turn whose writes were in flight is given up after PALIADIN_DB_RETRY_MS; one whose events
    // queued behind them may start its retries later and make it once the database is back.
    for (const o of outcomes) expect([['interrupted', 'end'], ['end']]).toContainEqual(o);
    expect(outcomes).toContainEqual(['interrupted', 'end']);
    expect(output).not.toMatch(/unhandled/i);
  });
});
