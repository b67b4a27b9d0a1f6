import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { isolatedDatabase } from '../support/isolated-database.js';
import { tokenFor } from '../support/tokens.js';
import { keepAlive, postTurn } from './support/post-turn.js';
import { type BenchRow, child, gateway, pct, printTable, stopAll } from './support/processes.js';

/**
 * The client SDK's speed goal: reading turns with `turns.events` costs the
 * relay's throughput figure at most 5 % against the bench's own SSE reader
 * (node:http + eventsource-parser, as relay.bench.ts reads), on the same
 * turns. The compiled gateway and the fast upstream run in processes of
 * their own, as in relay.bench.ts; so do both readers (turn-reader.mjs: in
 * Jest's vm context every global lookup costs several times what it costs
 * in Node, which would be charged to the reader that makes more of them).
 * The readers take turns: an untimed round each, then rounds a b, b a, a b,
 * ... and the median of each. A round of one 20,000-event turn lasts about
 * a tenth of a second, and single rounds swing by a third on a 2-core
 * machine: hence many rounds. The last case takes the gateway
 * out (its bytes served by recorded-stream.mjs): what reading alone costs.
 */
const rows: BenchRow[] = [];
const N = 20_000;
/** Rounds per reader: many where a round is short. */
const roundsFor = (turns: number) => (turns === 1 ? 45 : 15);

type Turn = { token: string; turnId: string } | { token: string; message: string };
type ReaderName = 'own' | 'client';
interface Answer {
  ms: number;
  cpuMs: number;
  reads: { chunks: number; inOrder: boolean; ended: boolean }[];
}
interface Round {
  /** Events read per second, all turns together. */
  rate: number;
  /** The reader process's CPU per event (µs): what reading costs. */
  readerUs: number;
  /** The gateway's CPU per event (µs). */
  gatewayUs: number;
}

/** CPU seconds a process has used (utime + stime, /proc/<pid>/stat, in clock ticks of 10 ms). */
const cpuOf = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};

describe('client bench: turns.events against the bench reader', () => {
  let db: { url: string; drop: () => Promise<void> };
  let gw: { base: string; proc: { pid?: number } };
  let reader: string;
  let recorder: string;

  beforeAll(async () => {
    db = await isolatedDatabase();
    const up = await child([path.resolve('test/bench/support/upstream.mjs')]);
    reader = `http://127.0.0.1:${(await child([path.resolve('test/bench/support/turn-reader.mjs')])).port}`;
    recorder = `http://127.0.0.1:${(await child([path.resolve('test/bench/support/recorded-stream.mjs')])).port}`;
    gw = await gateway(`http://127.0.0.1:${up.port}`, db.url);
  }, 120_000);

  afterAll(async () => {
    await stopAll();
    keepAlive.destroy();
    await db.drop();
    printTable('client bench', 'own reader', rows, 'client');
  });

  /** Has the reader process read `turns` at once from `base`; checks every turn came whole and in order. */
  async function measure(base: string, turns: Turn[], name: ReaderName): Promise<Round> {
    const g0 = cpuOf(gw.proc.pid!);
    const res = await fetch(`${reader}/read`, { method: 'POST', body: JSON.stringify({ reader: name, base, turns }) });
    if (res.status !== 200) throw new Error(`reader: ${await res.text()}`);
    const a = (await res.json()) as Answer;
    for (const r of a.reads) expect(r).toEqual({ chunks: N, inOrder: true, ended: true });
    const events = turns.length * N;
    return { rate: events / (a.ms / 1000), readerUs: (a.cpuMs * 1000) / events, gatewayUs: ((cpuOf(gw.proc.pid!) - g0) * 1e6) / events };
  }

  /** Both readers on the same kind of turns, alternating; one row of events/s with the ratio, and the rows that explain it. */
  async function compare(what: string, base: string, turnsFor: () => Promise<Turn[]>, rounds: number, goal = true): Promise<number> {
    await measure(base, await turnsFor(), 'own');
    await measure(base, await turnsFor(), 'client');
    const runs: Record<ReaderName, Round[]> = { own: [], client: [] };
    for (let round = 0; round < rounds; round++) {
      const order: ReaderName[] = round % 2 === 0 ? ['own', 'client'] : ['client', 'own'];
      for (const name of order) runs[name].push(await measure(base, await turnsFor(), name));
    }
    const of = (name: ReaderName, k: keyof Round) => runs[name].map((r) => r[k]);
    const med = (name: ReaderName, k: keyof Round) => pct(of(name, k), 50);
    const ratio = med('client', 'rate') / med('own', 'rate');
    const spread = (name: ReaderName) => `${Math.min(...of(name, 'rate')).toFixed(0)}-${Math.max(...of(name, 'rate')).toFixed(0)}`;
    // Each round's client figure over its own reader's, taken next to it: less moved by the machine's load drifting.
    const paired = runs.client.map((r, i) => r.rate / runs.own[i].rate);
    const row = (w: string, g: string, k: keyof Round, digits: number, ok: boolean) =>
      rows.push({
        what: w,
        goal: g,
        measured: med('client', k).toFixed(digits),
        baseline: med('own', k).toFixed(digits),
        ratio: (med('client', k) / med('own', k)).toFixed(3),
        ok,
      });
    row(`${what} (events/s)`, goal ? 'client >= 0.95 x own' : '(for comparison)', 'rate', 0, !goal || ratio >= 0.95);
    rows.push({
      what: `  min-max of ${rounds} rounds; ratio: paired`,
      goal: `pairs ${pct(paired, 0).toFixed(2)}-${pct(paired, 100).toFixed(2)}`,
      measured: spread('client'),
      baseline: spread('own'),
      ratio: pct(paired, 50).toFixed(3),
      ok: true,
    });
    row('  reader CPU per event (µs)', '', 'readerUs', 2, true);
    if (base === gw.base) row('  gateway CPU per event (µs)', '', 'gatewayUs', 2, true);
    return ratio;
  }

  /** `turns` new users (one turn at a time each), each with a token. */
  const users = (tag: string, turns: number) =>
    Promise.all(Array.from({ length: turns }, (_, i) => tokenFor(`${tag}-${i}-${Date.now()}-${Math.random()}@example.com`)));

  /** Runs `turns` turns to their end (read by the own reader) and returns them. */
  async function finishedTurns(turns: number): Promise<{ token: string; turnId: string }[]> {
    const tokens = await users(`done${turns}`, turns);
    const posted = await Promise.all(
      tokens.map(async (token) => {
        const t = await postTurn(gw.base, token, `fast:${N}`);
        if (!t.turnId) throw new Error(`POST turn answered ${t.status} ${t.error ?? ''}`);
        return { token, turnId: t.turnId };
      }),
    );
    await measure(gw.base, posted, 'own');
    return posted;
  }

  for (const turns of [1, 10]) {
    it(`live: ${turns} concurrent turn(s) of ${N} chunks, each read from its POST to its end: client >= 95% of the own reader`, async () => {
      const fresh = async () => (await users(`live${turns}`, turns)).map((token) => ({ token, message: `fast:${N}` }));
      expect(await compare(`live, ${turns} turn(s)`, gw.base, fresh, roundsFor(turns))).toBeGreaterThanOrEqual(0.95);
    });

    it(`finished: the same ${turns} turn(s) of ${N} chunks replayed from the database each round: client >= 95% of the own reader`, async () => {
      const finished = await finishedTurns(turns);
      expect(await compare(`finished, ${turns} turn(s)`, gw.base, () => Promise.resolve(finished), roundsFor(turns))).toBeGreaterThanOrEqual(0.95);
    });
  }

  it(`reading alone: a finished turn's bytes as the gateway sent them, served at socket speed to 10 readers at once (reading is all the work)`, async () => {
    const [t] = await finishedTurns(1);
    const bytes = await (await fetch(`${gw.base}/api/paliadin/stream/${t.turnId}`, { headers: { Authorization: `Bearer ${t.token}` } })).arrayBuffer();
    await fetch(`${recorder}/recording`, { method: 'PUT', body: bytes });
    await compare('reading alone, 10 turns', recorder, () => Promise.resolve(Array.from({ length: 10 }, () => t)), 15, false);
  });
});
