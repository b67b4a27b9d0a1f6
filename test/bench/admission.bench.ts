import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { isolatedDatabase } from '../support/isolated-database.js';
import { TEST_JWT_SECRET } from '../support/test-app.js';
import { tokenFor } from '../support/tokens.js';
import { type BenchRow, child, gateway, now, pct, printTable, stopAll } from './support/processes.js';
import { keepAlive, postTurn } from './support/post-turn.js';

/**
 * Turn admission (issue #25): `POST /api/paliadin/turn` on the compiled
 * gateway (disabled backend: every turn is admitted, then refused and
 * finished, as the bare server does) against the least a durable admission
 * must do (test/bench/support/bare-admission.mjs: JWT check, the row and its
 * first event in one transaction), both on one Postgres, each in its own
 * process. This process only sends and times.
 */
const rows: BenchRow[] = [];
const post = (base: string, token: string, fresh: boolean) => postTurn(base, token, 'hello', fresh);

const tokens = (tag: string, n: number) => Promise.all(Array.from({ length: n }, (_, i) => tokenFor(`adm-${tag}-${i}-${Date.now()}@example.com`)));

describe('admission bench (issue #25 goals)', () => {
  let db: { url: string; drop: () => Promise<void> };
  let gw: string;
  let bare: string;

  beforeAll(async () => {
    db = await isolatedDatabase();
    gw = (await gateway('http://127.0.0.1:9', db.url, { PALIADIN_BACKEND: 'disabled', PALIADIN_MAX_LIVE_TURNS: '5000' })).base;
    bare = `http://127.0.0.1:${(await child([path.resolve('test/bench/support/bare-admission.mjs'), db.url, TEST_JWT_SECRET])).port}`;
  }, 120_000);

  afterAll(async () => {
    await stopAll();
    keepAlive.destroy();
    await db.drop();
    printTable('admission bench', 'bare admission', rows);
  });

  it('sequential POSTs: p50 <= 2 ms', async () => {
    // Fifty users in turn: each one's turn before has ended, so what is timed is admission, not one user's queue.
    const sequential = async (base: string, tag: string) => {
      const users = await tokens(tag, 50);
      for (let i = 0; i < 100; i++) expect((await post(base, users[i % 50], false)).status).toBe(200);
      const ms: number[] = [];
      for (let i = 0; i < 500; i++) {
        const a = await post(base, users[i % 50], false);
        expect(a.status).toBe(200);
        ms.push(a.ms);
      }
      return ms;
    };
    const baseline = await sequential(bare, 'seq-bare');
    const measured = await sequential(gw, 'seq-gw');
    const p50 = pct(measured, 50);
    rows.push({
      what: 'sequential POST p50 (ms)',
      goal: '<= 2',
      measured: p50.toFixed(2),
      baseline: pct(baseline, 50).toFixed(2),
      ratio: (p50 / pct(baseline, 50)).toFixed(2),
      ok: p50 <= 2,
    });
    rows.push({
      what: 'sequential POST p99 (ms)',
      goal: '(for comparison)',
      measured: pct(measured, 99).toFixed(2),
      baseline: pct(baseline, 99).toFixed(2),
      ratio: '-',
      ok: true,
    });
    expect(p50).toBeLessThanOrEqual(2);
  }, 120_000);

  it('50 keep-alive clients: >= 0.6 of the bare admission rate', async () => {
    const CLIENTS = 50;
    const EACH = 60;
    const rate = async (base: string, tag: string) => {
      // Each client posts for four users in turn (as above: admission, not one user's queue).
      const users = await tokens(tag, CLIENTS * 4);
      const t0 = now();
      const answers = await Promise.all(
        Array.from({ length: CLIENTS }, async (_, c) => {
          const statuses: number[] = [];
          for (let i = 0; i < EACH; i++) statuses.push((await post(base, users[c * 4 + (i % 4)], false)).status);
          return statuses;
        }),
      );
      expect(answers.flat().every((s) => s === 200)).toBe(true);
      return (CLIENTS * EACH) / ((now() - t0) / 1000);
    };
    // An untimed round each, then the median of three alternating rounds.
    await rate(bare, 'warm-bare');
    await rate(gw, 'warm-gw');
    const baselines: number[] = [];
    const measures: number[] = [];
    for (let round = 0; round < 3; round++) {
      baselines.push(await rate(bare, `par-bare-${round}`));
      measures.push(await rate(gw, `par-gw-${round}`));
    }
    const baseline = pct(baselines, 50);
    const measured = pct(measures, 50);
    const ratio = measured / baseline;
    rows.push({
      what: '50 keep-alive clients (POSTs/s)',
      goal: '>= 0.6 of bare',
      measured: measured.toFixed(0),
      baseline: baseline.toFixed(0),
      ratio: ratio.toFixed(2),
      ok: ratio >= 0.6,
    });
    expect(ratio).toBeGreaterThanOrEqual(0.6);
  }, 180_000);

  it('2,000 POSTs at once on fresh connections: no resets, all answered within 2x the bare time', async () => {
    const N = 2_000;
    const burst = async (base: string, tag: string) => {
      const users = await tokens(tag, N);
      const t0 = now();
      const answers = await Promise.all(users.map((token) => post(base, token, true)));
      return { seconds: (now() - t0) / 1000, answers };
    };
    const baseline = await burst(bare, 'burst-bare');
    const measured = await burst(gw, 'burst-gw');
    const errors = measured.answers.filter((a) => a.error);
    const not200 = measured.answers.filter((a) => !a.error && a.status !== 200);
    const ratio = measured.seconds / baseline.seconds;
    rows.push({
      what: '2,000 POSTs at once: connection errors',
      goal: '0',
      measured: String(errors.length),
      baseline: String(baseline.answers.filter((a) => a.error).length),
      ratio: '-',
      ok: errors.length === 0,
    });
    rows.push({
      what: '2,000 POSTs at once: seconds',
      goal: '<= 2x bare',
      measured: measured.seconds.toFixed(2),
      baseline: baseline.seconds.toFixed(2),
      ratio: ratio.toFixed(2),
      ok: ratio <= 2 && not200.length === 0,
    });
    expect(errors.map((e) => e.error)).toEqual([]);
    expect(not200.map((a) => a.status)).toEqual([]);
    expect(ratio).toBeLessThanOrEqual(2);
  }, 180_000);
});
