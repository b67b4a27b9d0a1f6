import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { TurnRunners } from '../../src/paliadin/turn-runners.js';
import { isolatedDatabase } from '../support/isolated-database.js';
import { startPipelineApp, type PipelineApp } from '../support/pipeline-app.js';
import { waitUntil } from '../support/wait.js';

/**
 * The runners' heartbeat updates every live turn's row in one statement. A
 * row locked by something else (a turn ending in a statement of many) is
 * skipped, not waited for: two statements locking many rows in different
 * orders can deadlock. A beat rewrites the row where it is (a heap-only
 * update: no index entry per beat), so thousands of live turns do not make
 * every beat a stall.
 */
describe('the runners heartbeat', () => {
  let own: { url: string; drop: () => Promise<void> };
  let p: PipelineApp;
  let db: DataSource;

  beforeAll(async () => {
    own = await isolatedDatabase();
    p = await startPipelineApp({ DATABASE_URL: own.url, PALIADIN_RUNNER_HEARTBEAT_MS: '100' });
    db = p.app.get(DataSource);
  });
  afterAll(async () => {
    await p?.app.close();
    await own?.drop();
  });

  async function beatOf(turnId: string): Promise<number> {
    const rows: { heartbeat_at: Date }[] = await db.query(`SELECT heartbeat_at FROM paliadin_turns WHERE turn_id = $1`, [turnId]);
    return rows[0].heartbeat_at.getTime();
  }

  /** Answers that would come in a minute: the turns asked next stay live on this instance. */
  function answerInAMinute(): void {
    p.backend.script = () => [{ event: { type: 'chunk', text: 'working ' } }, { delay: 60_000, event: { type: 'done', response: 'working' } }];
  }

  async function cancel(email: string, turnId: string): Promise<void> {
    await p
      .http()
      .post(`/api/paliadin/turns/${turnId}/cancel`)
      .set('Authorization', await p.auth(email));
  }

  async function updatesOfTurnRows(): Promise<{ all: number; heapOnly: number }> {
    const rows: { all: string; hot: string }[] = await db.query(
      `SELECT n_tup_upd AS all, n_tup_hot_upd AS hot FROM pg_stat_user_tables WHERE relname = 'paliadin_turns'`,
    );
    return { all: Number(rows[0].all), heapOnly: Number(rows[0].hot) };
  }

  // First: the next test holds a transaction open, which keeps Postgres from pruning the rows' old copies.
  it("rewrites each live turn's row in place: the beats add no index entries", async () => {
    answerInAMinute();
    const emails = ['inplace-1@example.com', 'inplace-2@example.com'];
    const turns = await Promise.all(emails.map((email) => p.ask(email)));
    try {
      const before = await updatesOfTurnRows();
      // Postgres counts a connection's updates when it is idle, at most once a second: about ten beats of each turn.
      await waitUntil(async () => (await updatesOfTurnRows()).all - before.all >= 40, 15_000, 'forty beats to be counted');
      const after = await updatesOfTurnRows();
      // Before paliadin_turns kept room on its pages and left heartbeat_at out of its indexes, none was.
      expect((after.heapOnly - before.heapOnly) / (after.all - before.all)).toBeGreaterThanOrEqual(0.9);
    } finally {
      for (const [i, id] of turns.entries()) await cancel(emails[i], id);
    }
  });

  it('skips a row another transaction holds and beats the others meanwhile; the held one beats again once it is free', async () => {
    answerInAMinute();
    const held = await p.ask('held@example.com');
    const free = await p.ask('free@example.com');
    expect([p.app.get(TurnRunners).get(held), p.app.get(TurnRunners).get(free)].every(Boolean)).toBe(true);

    const other = new pg.Client(own.url);
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query(`SELECT 1 FROM paliadin_turns WHERE turn_id = $1 FOR NO KEY UPDATE`, [held]);
      const heldBeat = await beatOf(held);
      const mark = Date.now();
      // Without SKIP LOCKED the heartbeat would wait for the lock, and no row would beat.
      await waitUntil(async () => (await beatOf(free)) > mark + 250, 5_000, 'the free turn to beat while the other is held');
      expect(await beatOf(held)).toBe(heldBeat);
      await other.query('ROLLBACK');
      const released = Date.now();
      await waitUntil(async () => (await beatOf(held)) > released, 5_000, 'the held turn to beat once it is free');
    } finally {
      await other.query('ROLLBACK').catch(() => undefined);
      await other.end();
      await cancel('held@example.com', held);
      await cancel('free@example.com', free);
    }
  });
});
