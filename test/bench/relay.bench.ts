import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createParser } from 'eventsource-parser';
import pg from 'pg';
import { isolatedDatabase } from '../support/isolated-database.js';
import { tokenFor } from '../support/tokens.js';
import { waitUntil } from '../support/wait.js';
import { type BenchRow, child, gateway, now, pct, printTable, rssMb, stop, stopAll } from './support/processes.js';
import { type Posted, keepAlive, postTurn } from './support/post-turn.js';

/**
 * Issue #11's speed goals, measured side by side in one run: the gateway
 * (the compiled app, aichat backend, its own process) against a bare Node
 * SSE relay of the same upstream (test/bench/support/bare-relay.mjs, its own
 * process), both fed by one fast loopback upstream (upstream.mjs, its own
 * process). This process only generates load and reads; the burst's 2,000
 * users are a process of their own (crowd.mjs).
 */
const rows: BenchRow[] = [];

interface Read {
  chunks: number[];
  latencies: number[];
  ended: boolean;
  status: number;
}

/** Reads an SSE response (GET, or POST with a body), collecting chunk indices and their latencies. */
function readStream(url: string, opts: { token?: string; post?: object } = {}): Promise<Read> {
  return new Promise((resolve, reject) => {
    const out: Read = { chunks: [], latencies: [], ended: false, status: 0 };
    const headers: Record<string, string> = { Accept: 'text/event-stream' };
    if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
    if (opts.post) headers['Content-Type'] = 'application/json';
    const req = http.request(url, { method: opts.post ? 'POST' : 'GET', headers, agent: keepAlive }, (res) => {
      out.status = res.statusCode ?? 0;
      const decoder = new TextDecoder();
      const parser = createParser({
        onEvent: (m) => {
          const data = JSON.parse(m.data) as { delta?: string; type?: string; content?: string };
          const text = m.event === 'content' ? data.delta : data.type === 'chunk' ? data.content : undefined;
          if (text !== undefined) {
            const [i, sent] = text.split(':');
            out.chunks.push(Number(i));
            out.latencies.push(now() - Number(sent));
          }
          if (m.event === 'end' || data.type === 'done') out.ended = true;
        },
      });
      res.on('data', (c: Buffer) => parser.feed(decoder.decode(c, { stream: true })));
      res.on('end', () => resolve(out));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.post ? JSON.stringify(opts.post) : undefined);
  });
}

async function startTurn(base: string, email: string, message: string): Promise<Posted> {
  return postTurn(base, await tokenFor(email), message);
}

async function viaGateway(base: string, email: string, message: string): Promise<Read> {
  const t = await startTurn(base, email, message);
  if (t.status !== 200) throw new Error(`POST turn answered ${t.status}`);
  return readStream(`${base}/api/paliadin/stream/${t.turnId}`, { token: t.token });
}

const inOrder = (r: Read, n: number) => r.ended && r.chunks.length === n && r.chunks.every((c, i) => c === i);

describe('relay bench (issue #11 goals)', () => {
  let db: { url: string; drop: () => Promise<void> };
  let upstream: string;
  let bare: string;
  let crowd: string;
  let gw: { base: string; proc: ChildProcess };

  beforeAll(async () => {
    db = await isolatedDatabase();
    const up = await child([path.resolve('test/bench/support/upstream.mjs')]);
    upstream = `http://127.0.0.1:${up.port}`;
    const relay = await child([path.resolve('test/bench/support/bare-relay.mjs'), upstream, db.url]);
    bare = `http://127.0.0.1:${relay.port}`;
    gw = await gateway(upstream, db.url);
    crowd = `http://127.0.0.1:${(await child([path.resolve('test/bench/support/crowd.mjs')])).port}`;
  }, 120_000);

  afterAll(async () => {
    await stopAll();
    keepAlive.destroy();
    await db.drop();
    printTable('relay bench', 'bare relay / direct', rows);
  });

  for (const turns of [1, 10]) {
    it(`throughput, ${turns} concurrent turn(s) of 20,000 chunks: >= 50% of the bare relay and >= 20,000 events/s`, async () => {
      const N = 20_000;
      const run = async (read: (i: number) => Promise<Read>) => {
        const t0 = now();
        const reads = await Promise.all(Array.from({ length: turns }, (_, i) => read(i)));
        const seconds = (now() - t0) / 1000;
        for (const r of reads) expect(inOrder(r, N)).toBe(true);
        return (turns * N) / seconds;
      };
      const viaBare = () => readStream(`${bare}/relay?message=fast:${N}`);
      const viaGw = (i: number) => viaGateway(gw.base, `tp${turns}-${i}-${Date.now()}@example.com`, `fast:${N}`);
      // One untimed round each, so neither is measured while its code is still being compiled;
      // then three rounds, alternating, and the median of each.
      await run(viaBare);
      await run(viaGw);
      const baselines: number[] = [];
      const measures: number[] = [];
      for (let round = 0; round < 3; round++) {
        baselines.push(await run(viaBare));
        measures.push(await run(viaGw));
      }
      const baseline = pct(baselines, 50);
      const measured = pct(measures, 50);
      const ok = measured >= 0.5 * baseline && measured >= 20_000;
      rows.push({
        what: `throughput, ${turns} turn(s) (events/s)`,
        goal: '>= 50% and >= 20,000',
        measured: measured.toFixed(0),
        baseline: baseline.toFixed(0),
        ratio: (measured / baseline).toFixed(2),
        ok,
      });
      expect(ok).toBe(true);
    });
  }

  it('added latency per event at 200 events/s, five runs: p50 <= 1 ms, p99 <= 5 ms, max <= 50 ms in every run', async () => {
    const message = 'paced:2000:5';
    // Read by the crowd's process, which has nothing else to do (crowd.mjs, /read).
    const read = async (url: string, opts: { token?: string; post?: object } = {}): Promise<Read> => {
      const res = await fetch(`${crowd}/read`, { method: 'POST', body: JSON.stringify({ url, ...opts }) });
      if (res.status !== 200) throw new Error(`the reader failed: ${await res.text()}`);
      return (await res.json()) as Read;
    };
    const through = async (email: string, m: string) => {
      const t = await startTurn(gw.base, email, m);
      if (t.status !== 200) throw new Error(`POST turn answered ${t.status}`);
      return read(`${gw.base}/api/paliadin/stream/${t.turnId}`, { token: t.token });
    };
    // A short untimed turn each way first, for the same reason.
    await read(`${upstream}/chat/turn/stream`, { post: { message: 'paced:200:5' } });
    await through(`latency-warm-${Date.now()}@example.com`, 'paced:200:5');
    const runs: { p50: number; p99: number; max: number }[] = [];
    // The floor, for comparison: the bare relay storing each upstream read's events (one INSERT, committed) before sending them.
    const floors: { p50: number; p99: number; max: number }[] = [];
    for (let run = 0; run < 5; run++) {
      const direct = await read(`${upstream}/chat/turn/stream`, { post: { message } });
      const relayed = await through(`latency-${run}-${Date.now()}@example.com`, message);
      const durable = await read(`${bare}/relay?message=${message}&durable=1`);
      expect(inOrder(relayed, 2000)).toBe(true);
      expect(inOrder(durable, 2000)).toBe(true);
      // Each percentile through the gateway over the direct read's median: a stall of the direct
      // read itself must not be subtracted from the gateway's tail.
      const added = (p: number) => pct(relayed.latencies, p) - pct(direct.latencies, 50);
      runs.push({ p50: added(50), p99: added(99), max: added(100) });
      const floor = (p: number) => pct(durable.latencies, p) - pct(direct.latencies, 50);
      floors.push({ p50: floor(50), p99: floor(99), max: floor(100) });
    }
    const worstOf = (list: typeof runs, k: 'p50' | 'p99' | 'max') => Math.max(...list.map((r) => r[k]));
    const worst = { p50: worstOf(runs, 'p50'), p99: worstOf(runs, 'p99'), max: worstOf(runs, 'max') };
    const goals = { p50: 1, p99: 5, max: 50 };
    // Each measure's row, then the floor's for comparison.
    for (const k of ['p50', 'p99', 'max'] as const) {
      const digits = k === 'max' ? 1 : 2;
      const each = (list: typeof runs) => list.map((r) => r[k].toFixed(1)).join(' ');
      rows.push({
        what: `added latency ${k}, 5 runs (ms)`,
        goal: `<= ${goals[k]} each`,
        measured: `+${worst[k].toFixed(digits)}`,
        baseline: each(runs),
        ratio: '-',
        ok: worst[k] <= goals[k],
      });
      rows.push({
        what: `bare durable relay: added ${k}, 5 runs (ms)`,
        goal: '(the floor)',
        measured: `+${worstOf(floors, k).toFixed(digits)}`,
        baseline: each(floors),
        ratio: '-',
        ok: true,
      });
    }
    expect(worst.p50).toBeLessThanOrEqual(1);
    expect(worst.p99).toBeLessThanOrEqual(5);
    expect(worst.max).toBeLessThanOrEqual(50);
  }, 300_000);

  it('a burst: 2,000 new users POST at once on fresh connections (50 chunks over 10 s each, a reader each)', async () => {
    // One turn at a time per agent session (one per user): 2,000 live turns need 2,000 users.
    const TURNS = 2_000;
    const tag = Date.now();
    // An instance of its own: the memory of 2,000 live turns, not what the throughput rounds'
    // 20,000-event turns left in the shared gateway's heap (V8 keeps a heap it has grown; that
    // gateway's idle RSS goes in the table beside this one).
    const shared = rssMb(gw.proc.pid!);
    const live = await gateway(upstream, db.url);
    let peak = rssMb(live.proc.pid!);
    const idle = peak;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(live.proc.pid!))), 200);
    try {
      const tokens = await Promise.all(Array.from({ length: TURNS }, (_, i) => tokenFor(`burst-${tag}-${i}@example.com`)));
      // Every POST at once, each on a connection of its own; each reader opens as soon as its POST is answered.
      // The crowd is a plain Node process of its own (crowd.mjs): read in here, it would cost several times the CPU.
      const res = await fetch(`${crowd}/burst`, { method: 'POST', body: JSON.stringify({ base: live.base, message: 'paced:50:200', tokens }) });
      if (res.status !== 200) throw new Error(`the crowd failed: ${await res.text()}`);
      const { posts, reads, mostOpen } = (await res.json()) as { posts: { status: number; error?: string; ms: number }[]; reads: Read[]; mostOpen: number };
      const postMs = posts.map((p) => p.ms);
      const resets = posts.filter((p) => p.error).length;
      const fivexx = posts.filter((p) => p.status >= 500).length + reads.filter((r) => r.status >= 500).length;
      const bad = reads.filter((r) => !inOrder(r, 50)).length + (TURNS - reads.length);
      const latencies = reads.flatMap((r) => r.latencies);
      const p50 = pct(latencies, 50);
      const p99 = pct(latencies, 99);
      // The last ten chunks of each turn, sent 8-10 s after its POST: the gateway under the crowd, once every reader is there.
      const late = reads.flatMap((r) => r.latencies.slice(40));
      const row = (what: string, goal: string, measured: string, ok: boolean, baseline = '-') => rows.push({ what, goal, measured, baseline, ratio: '-', ok });
      row('burst: connection errors', '0', String(resets), resets === 0, posts.find((p) => p.error)?.error ?? '-');
      row('burst: 5xx answers', '0', String(fivexx), fivexx === 0);
      row('burst: most live at once', '2,000', String(mostOpen), mostOpen === TURNS, `POST p99 ${(pct(postMs, 99) / 1000).toFixed(1)} s`);
      row('burst: lost/duplicated', '0', String(bad), bad === 0);
      row('burst: delivery latency p50 (ms)', '<= 50', p50.toFixed(1), p50 <= 50);
      row('burst: delivery latency p99 (ms)', '<= 500', p99.toFixed(1), p99 <= 500);
      row('burst: chunks 40-49, latency p50/p99 (ms)', '(for comparison)', `${pct(late, 50).toFixed(1)}/${pct(late, 99).toFixed(0)}`, true);
      row('burst: gateway RSS (MB)', '<= 300', peak.toFixed(0), peak <= 300, `idle ${idle.toFixed(0)}`);
      row('after the throughput rounds: RSS (MB)', '(for comparison)', shared.toFixed(0), true, 'idle, shared gateway');
      expect({ resets, fivexx, bad, mostOpen }).toEqual({ resets: 0, fivexx: 0, bad: 0, mostOpen: TURNS });
      expect(p50).toBeLessThanOrEqual(50);
      expect(p99).toBeLessThanOrEqual(500);
      expect(peak).toBeLessThanOrEqual(300);
    } finally {
      clearInterval(sampler);
      await stop(live.proc);
    }
  }, 240_000);

  it("beyond the instance's cap (PALIADIN_MAX_LIVE_TURNS): clean 503s with Retry-After", async () => {
    const capped = await gateway(upstream, db.url, { PALIADIN_MAX_LIVE_TURNS: '50' });
    const tag = Date.now();
    const started = [];
    for (let i = 0; i < 60; i++) started.push(await startTurn(capped.base, `cap-${tag}-${i}@example.com`, 'paced:10:200'));
    const refused = started.filter((t) => t.status === 503);
    rows.push({
      what: '60 turns on a 50-turn cap: 503s',
      goal: '10, with Retry-After',
      measured: String(refused.length),
      baseline: '-',
      ratio: '-',
      ok: refused.length === 10 && refused.every((t) => t.retryAfter === '2'),
    });
    expect(refused.length).toBe(10);
    expect(started.filter((t) => t.status === 200).length).toBe(50);
    expect(refused.every((t) => t.retryAfter === '2')).toBe(true);
  }, 60_000);

  it('bytes stored per streamed turn: <= 3x the answer + 2 KB', async () => {
    const t = await startTurn(gw.base, `storage-${Date.now()}@example.com`, 'paced:2000:1');
    const read = await readStream(`${gw.base}/api/paliadin/stream/${t.turnId}`, { token: t.token });
    expect(inOrder(read, 2000)).toBe(true);
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      const size = async () =>
        (
          await c.query(
            `SELECT sum(pg_column_size(e.*))::int + count(*)::int * 32 AS bytes, (SELECT response FROM paliadin_turns WHERE turn_id = $1) AS answer FROM paliadin_turn_events e WHERE turn_id = $1`,
            [t.turnId],
          )
        ).rows[0] as { bytes: number; answer: string };
      // The turn's rows are folded together just after it finishes.
      await waitUntil(
        async () => (await c.query(`SELECT count(*)::int AS n FROM paliadin_turn_events WHERE turn_id = $1`, [t.turnId])).rows[0].n <= 2,
        10_000,
        'compaction',
      );
      const { bytes, answer } = await size();
      const answerBytes = Buffer.byteLength(answer);
      const ok = bytes <= 3 * answerBytes + 2048;
      rows.push({
        what: 'stored bytes per streamed turn',
        goal: '<= 3x answer + 2 KB',
        measured: String(bytes),
        baseline: `answer ${answerBytes}`,
        ratio: `${(bytes / answerBytes).toFixed(2)}x`,
        ok,
      });
      expect(ok).toBe(true);
    } finally {
      await c.end();
    }
  });
});
