import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { startInstance, stopApps } from '../support/app-process.js';
import { isolatedDatabase } from '../support/isolated-database.js';
import { startPipelineApp } from '../support/pipeline-app.js';
import { subFor, tokenFor } from '../support/tokens.js';
import { waitUntil } from '../support/wait.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

// Attempts of a second at most, so a killed instance's lease (twice the timeout plus 5 s) runs out
// soon; long enough that a receiver slowed by a busy machine is not taken for one that did not answer
// (that attempt would be tried again, and the receiver would see the message twice).
const WEBHOOK_ENV = {
  PALIADIN_WEBHOOK_ALLOW_PRIVATE: 'true',
  PALIADIN_WEBHOOK_RETRY_SCHEDULE: '100ms,100ms,100ms',
  PALIADIN_WEBHOOK_TIMEOUT_MS: '1000',
  PALIADIN_WEBHOOK_POLL_MS: '50',
};

describe('webhooks are never lost, and never sent twice in one attempt', () => {
  const receiver = new WebhookReceiver();
  let db: { url: string; drop: () => Promise<void> };
  beforeAll(async () => {
    db = await isolatedDatabase();
    await receiver.start();
  });
  afterEach(() => stopApps());
  afterAll(async () => {
    await receiver.stop();
    await db?.drop();
  });

  const register = async (url: string, email: string, path: string) => {
    const res = await fetch(`${url}/api/webhooks`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${await tokenFor(email)}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ url: receiver.url(path), events: ['turn.completed', 'turn.failed'] }),
    });
    const body = (await res.json()) as { id: string; secret: string };
    receiver.secrets.set(path, body.secret);
    return body.id;
  };

  it('an instance SIGKILLed during the attempt: the next instance delivers the message, same webhook-id, signed', async () => {
    const env = { DATABASE_URL: db.url, PALIADIN_BACKEND: 'disabled', ...WEBHOOK_ENV };
    const first = await startInstance(env, { anyHealth: true });
    const email = 'killed@example.com';
    await register(first.url, email, '/killed');
    // The first attempt reaches the receiver and gets no answer: the instance dies with it in flight.
    let calls = 0;
    receiver.answer = (_r, path) => (path === '/killed' && ++calls === 1 ? { hang: true } : { status: 204 });
    const res = await fetch(`${first.url}/api/paliadin/turn`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${await tokenFor(email)}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ user_message: 'Hallo?' }),
    });
    const { turn_id } = (await res.json()) as { turn_id: string };
    await waitUntil(() => receiver.for('/killed').length === 1, 10_000, 'the first attempt');
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));

    await startInstance(env, { anyHealth: true });
    await waitUntil(() => receiver.for('/killed').length === 2, 30_000, 'the delivery by the next instance');
    const [lost, delivered] = receiver.for('/killed');
    expect(delivered.id).toBe(lost.id);
    expect(delivered.verified).toBe(true);
    expect(delivered.json).toMatchObject({ type: 'turn.failed', data: { turn_id, code: 'disabled' } });
    // Recorded once: the killed instance's attempt left no row, the next one's is attempt 1.
    const sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    try {
      await waitUntil(async () => (await sql.query(`SELECT 1 FROM paliadin_webhook_attempts`)).rowCount === 1, 5_000, 'the attempt recorded');
      const { rows } = await sql.query(
        `SELECT d.status, a.attempt, a.response_code FROM paliadin_webhook_deliveries d JOIN paliadin_webhook_attempts a ON a.delivery_id = d.id`,
      );
      expect(rows).toEqual([{ status: 'delivered', attempt: 1, response_code: 204 }]);
    } finally {
      await sql.end();
    }
    receiver.answer = () => ({ status: 204 });
  }, 60_000);

  it('two instances deliver 100 messages between them: each once', async () => {
    // Nobody is killed here: attempts may take their time (a timed-out attempt is sent again, by design).
    // One user's 100 turns run one at a time across both instances, each woken by the end of the one before.
    const env = {
      DATABASE_URL: db.url,
      ...WEBHOOK_ENV,
      PALIADIN_WEBHOOK_TIMEOUT_MS: '10000',
      PALIADIN_MAX_INFLIGHT_PER_USER: '1000',
    };
    const a = await startPipelineApp(env);
    const b = await startPipelineApp(env);
    try {
      const email = 'crowd-hooks@example.com';
      await register(a.url, email, '/crowd');
      for (const p of [a, b]) p.backend.script = () => [{ delay: 1, event: { type: 'done', response: 'ok' } }];
      const turns = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b).ask(email)));
      // 2-3 s on an idle machine, 6 s beside two busy loops, over 20 s once under the whole suite and those loops.
      await waitUntil(() => receiver.for('/crowd').length >= 100, 90_000, '100 deliveries');
      // Every attempt finished and recorded: no lease is left, so no attempt of another instance is still on its way.
      const sql = new pg.Client({ connectionString: db.url });
      await sql.connect();
      try {
        await waitUntil(
          async () =>
            (
              await sql.query(
                `SELECT 1 FROM paliadin_webhook_deliveries d JOIN paliadin_webhook_messages m USING (message_id)
                 WHERE m.user_id = $1 AND d.status = 'delivered' AND d.leased_until IS NULL`,
                [subFor(email)],
              )
            ).rowCount === 100,
          30_000,
          'every delivery recorded',
        );
        const { rows } = await sql.query(
          `SELECT count(*)::int AS n FROM paliadin_webhook_attempts a JOIN paliadin_webhook_deliveries d ON d.id = a.delivery_id
           JOIN paliadin_webhook_messages m USING (message_id) WHERE m.user_id = $1`,
          [subFor(email)],
        );
        expect(rows[0].n).toBe(100);
      } finally {
        await sql.end();
      }
      const got = receiver.for('/crowd');
      expect(got).toHaveLength(100);
      expect(new Set(got.map((r) => r.id)).size).toBe(100);
      expect(new Set(got.map((r) => r.json.data.turn_id)).size).toBe(100);
      expect(new Set(turns)).toEqual(new Set(got.map((r) => r.json.data.turn_id as string)));
      expect(got.every((r) => r.verified)).toBe(true);
    } finally {
      await a.app.close();
      await b.app.close();
    }
  }, 180_000);
});
