import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { AskingBackend } from '../support/asking-backend.js';
import { isolatedDatabase } from '../support/isolated-database.js';
import { startPipelineApp, type PipelineApp } from '../support/pipeline-app.js';
import { waitUntil } from '../support/wait.js';

const TIMEOUT_MS = 1_500;
// How long the request's row takes to store: the table is locked by another transaction meanwhile.
const STORE_TAKES_MS = 2_000;

/**
 * A request is open until the `expires_at` its event shows
 * (docs/requests.md): the timeout counts from when it was asked, not from
 * when its row was stored, and the row says the same times.
 */
describe('a request expires when its event says', () => {
  let own: { url: string; drop: () => Promise<void> };
  let p: PipelineApp;

  beforeAll(async () => {
    // A database of its own: the test locks a table.
    own = await isolatedDatabase();
    p = await startPipelineApp({ DATABASE_URL: own.url, PALIADIN_REQUEST_TIMEOUT_MS: String(TIMEOUT_MS) }, new AskingBackend());
  });
  afterAll(async () => {
    await p?.app.close();
    await own?.drop();
  });

  it('however long its row took to store', async () => {
    const locker = new pg.Client(own.url);
    await locker.connect();
    let turnId: string;
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE paliadin_requests IN SHARE MODE');
      turnId = await p.ask('expiry@example.com', { user_message: 'ask me' });
      await waitUntil(
        async () =>
          ((
            await locker.query(
              `SELECT 1 FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE NOT l.granted AND l.relation = 'paliadin_requests'::regclass`,
            )
          ).rowCount ?? 0) >= 1,
        30_000,
        "the request's row to wait for the lock",
      );
      await new Promise((r) => setTimeout(r, STORE_TAKES_MS));
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }
    const read = await p.read('expiry@example.com', turnId, { timeoutMs: 20_000 });
    const asked = read.events.find((e) => e.event === 'permission')!.data as { request_id: string; expires_at: string };
    const resolved = read.events.find((e) => e.event === 'resolved')!.data as { by: string; at: string };
    expect(resolved.by).toBe('timeout');
    // Counted from the row's store, the timeout came STORE_TAKES_MS after the expires_at shown.
    const late = new Date(resolved.at).getTime() - new Date(asked.expires_at).getTime();
    expect(late).toBeLessThan(STORE_TAKES_MS / 2);
    const [row]: { created_at: Date; expires_at: Date }[] = await p.app
      .get(DataSource)
      .query(`SELECT created_at, expires_at FROM paliadin_requests WHERE request_id = $1`, [asked.request_id]);
    expect(row.expires_at.toISOString()).toBe(asked.expires_at);
    expect(row.expires_at.getTime() - row.created_at.getTime()).toBe(TIMEOUT_MS);
  });
});
