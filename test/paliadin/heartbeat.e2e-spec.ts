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
 * orders can deadlock.
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

  it('skips a row another transaction holds and beats the others meanwhile; the held one beats again once it is free', async () => {
    // Answers that would come in a minute: both turns stay live on this instance.
    p.backend.script = () => [{ event: { type: 'chunk', text: 'working ' } }, { delay: 60_000, event: { type: 'done', response: 'working' } }];
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
      for (const [email, id] of [
        ['held@example.com', held],
        ['free@example.com', free],
      ]) {
        await p
          .http()
          .post(`/api/paliadin/turns/${id}/cancel`)
          .set('Authorization', await p.auth(email));
      }
    }
  });
});
