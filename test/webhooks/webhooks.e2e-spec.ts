import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { ApiKeysService } from '../../src/auth/api-keys.service.js';
import type { Scope } from '../../src/auth/scopes.js';
import { freePort } from '../../src/database/embedded-postgres.js';
import { WebhookSecrets } from '../../src/webhooks/webhook-secret-store.js';
import { SecretBox } from '../../src/webhooks/webhook-secrets.js';
import { isolatedDatabase } from '../support/isolated-database.js';
import { AskingBackend } from '../support/asking-backend.js';
import { startPipelineApp, type PipelineApp } from '../support/pipeline-app.js';
import { startTestApp } from '../support/test-app.js';
import { subFor, tokenFor } from '../support/tokens.js';
import { waitUntil } from '../support/wait.js';
import { WebhookReceiver, type Received } from '../support/webhook-receiver.js';

// Retries in tenths of a second, then one 3 s later (a test that brings a receiver back after two refused
// attempts has that long, however busy the machine); an attempt given up after 2 s (long enough that a busy
// machine's stalled event loop does not make a receiver that answered look silent): time here is configuration.
const WEBHOOK_ENV = {
  PALIADIN_WEBHOOK_ALLOW_PRIVATE: 'true',
  PALIADIN_WEBHOOK_RETRY_SCHEDULE: '100ms,100ms,3s',
  PALIADIN_WEBHOOK_TIMEOUT_MS: '2000',
  PALIADIN_WEBHOOK_POLL_MS: '50',
};

describe('webhooks: registered, signed, delivered, retried', () => {
  const receiver = new WebhookReceiver();
  let db: { url: string; drop: () => Promise<void> };
  let p: PipelineApp;

  beforeAll(async () => {
    // A database of its own: other suites' instances would deliver (or refuse) this suite's messages.
    db = await isolatedDatabase();
    await receiver.start();
    // The janitor out of the way: /recover is what finds late answers here, except in the janitor's own test.
    p = await startPipelineApp({ DATABASE_URL: db.url, ...WEBHOOK_ENV, PALIADIN_JANITOR_INTERVAL_MS: '1000000' }, new AskingBackend());
  });
  afterAll(async () => {
    await p?.app.close();
    await receiver.stop();
    await db?.drop();
  });

  const auth = (emailOrKey: string) => (emailOrKey.includes('@') ? p.auth(emailOrKey) : Promise.resolve(`Bearer ${emailOrKey}`));
  const register = async (who: string, path: string, body: Record<string, unknown>) => {
    const res = await p
      .http()
      .post('/api/webhooks')
      .set('Authorization', await auth(who))
      .send({ url: receiver.url(path), ...body });
    if (res.status === 201) receiver.secrets.set(path, (res.body as { secret: string }).secret);
    return res;
  };
  const turn = async (email: string) => {
    const id = await p.ask(email);
    await p.read(email, id, { dropPings: true });
    return id;
  };
  const arrived = async (path: string, n: number, what: string): Promise<Received[]> => {
    await waitUntil(() => receiver.for(path).length >= n, 10_000, what);
    return receiver.for(path);
  };
  /** POST /api/webhooks/:id/test as `email`; the answer. */
  const testSend = async (email: string, id: string) =>
    p
      .http()
      .post(`/api/webhooks/${id}/test`)
      .set('Authorization', await auth(email))
      .expect(202);
  /** A webhook's delivery attempts, newest first. */
  const deliveries = async (email: string, id: string) =>
    (
      await p
        .http()
        .get(`/api/webhooks/${id}/deliveries`)
        .set('Authorization', await auth(email))
    ).body.deliveries as {
      attempt: number;
      status: string;
      error?: string;
      response_code?: number;
    }[];
  const key = async (email: string, scopes: Scope[]) => (await p.app.get(ApiKeysService).create({ userId: subFor(email), email, name: 'hooks', scopes })).key;

  it('registers with a secret shown once; the list and the row never show it', async () => {
    const email = 'crud@example.com';
    const res = await register(email, '/crud', { events: ['turn.completed'], description: 'CI bot' });
    expect(res.status).toBe(201);
    const created = res.body as { id: string; secret: string };
    expect(created).toMatchObject({
      url: receiver.url('/crud'),
      events: ['turn.completed'],
      description: 'CI bot',
      all_users: false,
      enabled: true,
      failing: 0,
    });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);

    const list = await p
      .http()
      .get('/api/webhooks')
      .set('Authorization', await auth(email))
      .expect(200);
    expect(list.body.webhooks).toHaveLength(1);
    expect(JSON.stringify(list.body)).not.toContain(created.secret.slice(6));
    const one = await p
      .http()
      .get(`/api/webhooks/${created.id}`)
      .set('Authorization', await auth(email))
      .expect(200);
    expect(one.body.secret).toBeUndefined();
    const [row] = await p.app.get(DataSource).query(`SELECT secret_sealed FROM paliadin_webhooks WHERE id = $1`, [created.id]);
    expect(row.secret_sealed).toMatch(/^v1\./);
    expect(row.secret_sealed).not.toContain(created.secret.slice(6, 20));

    // Another user sees nothing of it.
    await p
      .http()
      .get(`/api/webhooks/${created.id}`)
      .set('Authorization', await auth('other@example.com'))
      .expect(404);
    await p
      .http()
      .delete(`/api/webhooks/${created.id}`)
      .set('Authorization', await auth('other@example.com'))
      .expect(404);
    await p
      .http()
      .delete(`/api/webhooks/${created.id}`)
      .set('Authorization', await auth(email))
      .expect(204);
    await p
      .http()
      .get(`/api/webhooks/${created.id}`)
      .set('Authorization', await auth(email))
      .expect(404);
  });

  it('bad input is a 400 naming the field, and stores nothing', async () => {
    const email = 'bad@example.com';
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ url: 'ftp://example.com/x', events: ['turn.completed'] }, /url must use http or https/],
      [{ url: 'not a url', events: ['turn.completed'] }, /url must be an absolute/],
      [{ url: 'http://user:pw@example.com/', events: ['turn.completed'] }, /url must not carry credentials/],
      [{ url: receiver.url('/bad'), events: [] }, /events must name at least one/],
      [{ url: receiver.url('/bad'), events: ['turn.exploded'] }, /events must each be one of/],
      [{ url: receiver.url('/bad') }, /events/],
      [{ url: receiver.url('/bad'), events: ['turn.completed'], all_users: 'yes' }, /all_users/],
    ];
    for (const [body, message] of cases) {
      const res = await p
        .http()
        .post('/api/webhooks')
        .set('Authorization', await auth(email))
        .send(body);
      expect({ status: res.status, message: res.body.message as string }).toEqual({ status: 400, message: expect.stringMatching(message) });
    }
    await p
      .http()
      .get('/api/webhooks/not-a-uuid')
      .set('Authorization', await auth(email))
      .expect(400);
    const list = await p
      .http()
      .get('/api/webhooks')
      .set('Authorization', await auth(email))
      .expect(200);
    expect(list.body.webhooks).toEqual([]);
  });

  it('a finished turn: turn.completed, signed (verified independently), with the turn in data', async () => {
    const email = 'done@example.com';
    await register(email, '/done', { events: ['turn.completed', 'turn.failed'] });
    p.backend.script = () => [{ delay: 5, event: { type: 'done', response: 'Die Antwort.' } }];
    const turnId = await turn(email);
    const [got] = await arrived('/done', 1, 'turn.completed');
    expect(got.verified).toBe(true);
    expect(got.id).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(Math.abs(Number(got.timestamp) - Date.now() / 1000)).toBeLessThan(60);
    expect(got.json).toMatchObject({ type: 'turn.completed', data: { turn_id: turnId, user_id: subFor(email), response: 'Die Antwort.' } });
    expect(got.json.data.code).toBeUndefined();
    expect(Date.parse(got.json.timestamp)).not.toBeNaN();
  });

  it('a failed turn: turn.failed with its code', async () => {
    const email = 'failed@example.com';
    await register(email, '/failed', { events: ['turn.failed'] });
    p.backend.script = () => [{ delay: 5, event: { type: 'error', code: 'shim_error', message: 'The shim failed', retryable: true } }];
    const turnId = await turn(email);
    const [got] = await arrived('/failed', 1, 'turn.failed');
    expect(got.json).toMatchObject({ type: 'turn.failed', data: { turn_id: turnId, code: 'shim_error' } });
  });

  it("a user's webhook gets only that user's events; an admin's all_users webhook gets everyone's", async () => {
    p.backend.script = () => [{ delay: 5, event: { type: 'done', response: 'ok' } }];
    await register('mine@example.com', '/mine', { events: ['turn.completed'] });
    const adminKey = await key('admin-hooks@example.com', ['paliadin:admin', 'paliadin:read']);
    expect((await register(adminKey, '/everyone', { events: ['turn.completed'], all_users: true })).status).toBe(201);
    // A user without admin rights may not ask for all users.
    const refused = await register('mine@example.com', '/nope', { events: ['turn.completed'], all_users: true });
    expect(refused.status).toBe(403);

    const mine = await turn('mine@example.com');
    const theirs = await turn('theirs@example.com');
    await waitUntil(() => receiver.for('/everyone').filter((r) => [mine, theirs].includes(r.json.data.turn_id as string)).length === 2, 10_000, 'both');
    await arrived('/mine', 1, 'mine');
    // Whatever else comes in, nothing of theirs reaches mine.
    await turn('mine@example.com');
    await arrived('/mine', 2, 'my second');
    expect(receiver.for('/mine').map((r) => r.json.data.user_id)).toEqual([subFor('mine@example.com'), subFor('mine@example.com')]);
  });

  it('an API key needs the scope of the events it subscribes to', async () => {
    const email = 'scoped@example.com';
    const sessionsOnly = await key(email, ['sessions:read']);
    const res = await register(sessionsOnly, '/scoped', { events: ['session.ended', 'turn.completed'] });
    expect(res.status).toBe(403);
    expect(res.body.message).toMatch(/lacks the paliadin:read scope that turn.completed needs/);
    expect((await register(sessionsOnly, '/scoped', { events: ['session.ended'] })).status).toBe(201);
  });

  it('a session checked in: session.ended with the reason', async () => {
    const email = 'sess@example.com';
    await register(email, '/sess', { events: ['session.ended'] });
    const created = await p
      .http()
      .post('/api/sessions')
      .set('Authorization', await auth(email))
      .send({ name: 'hooked' })
      .expect(201);
    const sid = (created.body as { id: string }).id;
    await p
      .http()
      .post(`/api/sessions/${sid}/checkin`)
      .set('Authorization', await auth(email))
      .expect(200);
    const [got] = await arrived('/sess', 1, 'session.ended');
    expect(got.json).toMatchObject({ type: 'session.ended', data: { session_id: sid, name: 'hooked', reason: 'checkin', status: 'ended' } });
    expect(got.verified).toBe(true);
  });

  it('a late answer: turn.late_answer, whether /recover or the janitor stored it', async () => {
    const email = 'late@example.com';
    await register(email, '/late', { events: ['turn.late_answer', 'turn.failed'] });
    p.backend.script = () => [{ delay: 5, event: { type: 'error', code: 'upstream_error', message: 'cut', retryable: true } }];
    // Deliveries are sent side by side: each turn's failure has arrived before its late answer is made,
    // so that the order below is the events'.
    const failureArrived = (turnId: string) =>
      waitUntil(() => receiver.for('/late').some((r) => r.json.type === 'turn.failed' && r.json.data.turn_id === turnId), 10_000, 'the failure');
    const viaRecover = await turn(email);
    await failureArrived(viaRecover);
    p.backend.late.set(viaRecover, 'Spät, aber da.');
    const recovered = await p
      .http()
      .get(`/api/paliadin/turns/${viaRecover}/recover`)
      .set('Authorization', await auth(email))
      .expect(200);
    expect(recovered.body.recovery_state).toBe('recovered');
    await waitUntil(() => receiver.for('/late').some((r) => r.json.type === 'turn.late_answer'), 10_000, 'the late answer by /recover');
    expect(receiver.for('/late').map((r) => [r.json.type, r.json.data.turn_id])).toEqual([
      ['turn.failed', viaRecover],
      ['turn.late_answer', viaRecover],
    ]);
    expect(receiver.for('/late')[1].json.data).toMatchObject({ response: 'Spät, aber da.', was_error: 'upstream_error' });

    // The janitor of another instance on the same database finds the next one by itself.
    const viaJanitor = await turn(email);
    await failureArrived(viaJanitor);
    p.backend.late.set(viaJanitor, 'Vom Hausmeister.');
    const janitor = await startPipelineApp({ DATABASE_URL: db.url, ...WEBHOOK_ENV, PALIADIN_JANITOR_INTERVAL_MS: '100' }, p.backend);
    try {
      await waitUntil(
        () => receiver.for('/late').some((r) => r.json.type === 'turn.late_answer' && r.json.data.turn_id === viaJanitor),
        10_000,
        'the late answer by the janitor',
      );
    } finally {
      await janitor.app.close();
    }
    expect(
      receiver
        .for('/late')
        .filter((r) => r.json.data.turn_id === viaJanitor)
        .map((r) => r.json.type),
    ).toEqual(['turn.failed', 'turn.late_answer']);
  });

  it('sessions that expire or are terminated: session.ended with the reason', async () => {
    const email = 'ends@example.com';
    await register(email, '/ends', { events: ['session.ended'] });
    const created = (name: string, body: Record<string, unknown> = {}) =>
      auth(email).then((a) =>
        p
          .http()
          .post('/api/sessions')
          .set('Authorization', a)
          .send({ name, ...body })
          .expect(201),
      );
    const short = ((await created('short', { expires_in: '100ms' })).body as { id: string }).id;
    const ended = ((await created('ended')).body as { id: string }).id;
    const admin = await key('ends-admin@example.com', ['admin']);
    await p.http().delete(`/api/sessions/${ended}`).set('Authorization', `Bearer ${admin}`).expect(200);
    const janitor = await startPipelineApp({ DATABASE_URL: db.url, ...WEBHOOK_ENV, PALIADIN_JANITOR_INTERVAL_MS: '100' });
    try {
      await arrived('/ends', 2, 'both ends');
    } finally {
      await janitor.app.close();
    }
    const byId = new Map(receiver.for('/ends').map((r) => [r.json.data.session_id, r.json.data]));
    expect(byId.get(short)).toMatchObject({ status: 'expired', reason: 'expired', name: 'short' });
    expect(byId.get(ended)).toMatchObject({ status: 'terminated', reason: 'terminated', name: 'ended' });
  });

  it('the agent asks: request.created, and the answer lets the turn finish', async () => {
    const email = 'asked@example.com';
    await register(email, '/asked', { events: ['request.created', 'turn.completed'] });
    const turnId = await p.ask(email, { user_message: 'ask me' });
    const [got] = await arrived('/asked', 1, 'request.created');
    expect(got.json).toMatchObject({ type: 'request.created', data: { turn_id: turnId, kind: 'permission', request: { tool: 'Write' } } });
    const requestId = got.json.data.request_id as string;
    await p
      .http()
      .post(`/api/paliadin/turns/${turnId}/requests/${requestId}`)
      .set('Authorization', await auth(email))
      .send({ decision: 'allow_once' })
      .expect(200);
    const [, done] = await arrived('/asked', 2, 'turn.completed');
    expect(done.json).toMatchObject({ type: 'turn.completed', data: { turn_id: turnId, response: expect.stringContaining('allow_once') } });
  });

  it('test-send: webhook.test now, listed among the deliveries', async () => {
    const email = 'tester@example.com';
    const { id } = (await register(email, '/test', { events: ['turn.completed'] })).body as { id: string };
    const sent = await testSend(email, id);
    const [got] = await arrived('/test', 1, 'webhook.test');
    expect(got).toMatchObject({ id: sent.body.message_id, verified: true, json: { type: 'webhook.test', data: { webhook_id: id } } });
    await waitUntil(async () => (await deliveries(email, id))[0]?.status === 'delivered', 5_000, 'the attempt recorded');
    const list = await p
      .http()
      .get(`/api/webhooks/${id}/deliveries`)
      .set('Authorization', await auth(email))
      .expect(200);
    expect(list.body.deliveries).toEqual([
      { message_id: sent.body.message_id, event: 'webhook.test', attempt: 1, status: 'delivered', response_code: 204, at: expect.any(String) },
    ]);
  });

  it('a secret sealed under another key (the key changed): the delivery fails at once, nothing is sent unsigned', async () => {
    const email = 'rekeyed@example.com';
    const { id } = (await register(email, '/rekeyed', { events: ['turn.completed'] })).body as { id: string };
    const foreign = new SecretBox(new TextEncoder().encode('another-key-that-is-at-least-32-characters')).seal('whsec_AAAA');
    await p.app.get(DataSource).query(`UPDATE paliadin_webhooks SET secret_sealed = $2 WHERE id = $1`, [id, foreign]);
    await testSend(email, id);
    await waitUntil(async () => (await deliveries(email, id))[0]?.status === 'failed', 5_000, 'the failed delivery');
    expect((await deliveries(email, id))[0].error).toMatch(/secret cannot be opened/);
    expect(receiver.for('/rekeyed')).toHaveLength(0);
  });

  it('a 500, then a 200: retried on the schedule with the same webhook-id; every attempt listed', async () => {
    const email = 'flaky@example.com';
    const { id } = (await register(email, '/flaky', { events: ['turn.completed'] })).body as { id: string };
    let calls = 0;
    receiver.answer = (_r, path) => (path === '/flaky' && ++calls <= 2 ? { status: 500 } : { status: 204 });
    await testSend(email, id);
    const got = await arrived('/flaky', 3, 'three attempts');
    expect(new Set(got.map((r) => r.id)).size).toBe(1);
    expect(got.every((r) => r.verified)).toBe(true);
    await waitUntil(async () => (await deliveries(email, id)).length === 3, 5_000, 'three attempts listed');
    expect((await deliveries(email, id)).map((d) => [d.attempt, d.status, d.response_code])).toEqual([
      [3, 'delivered', 204],
      [2, 'retry', 500],
      [1, 'retry', 500],
    ]);
    receiver.answer = () => ({ status: 204 });
  });

  it('429 with Retry-After: the next attempt waits that long, not the schedule', async () => {
    const email = 'busy@example.com';
    const { id } = (await register(email, '/busy', { events: ['turn.completed'] })).body as { id: string };
    let calls = 0;
    receiver.answer = (_r, path) => (path === '/busy' && ++calls === 1 ? { status: 429, headers: { 'Retry-After': '1' } } : { status: 204 });
    await testSend(email, id);
    const [first, second] = await arrived('/busy', 2, 'the retry');
    expect(second.at - first.at).toBeGreaterThanOrEqual(950);
    receiver.answer = () => ({ status: 204 });
  });

  it('410 Gone disables the endpoint, visibly; nothing more is sent to it', async () => {
    const email = 'gone@example.com';
    const { id } = (await register(email, '/gone', { events: ['turn.completed'] })).body as { id: string };
    receiver.answer = (_r, path) => (path === '/gone' ? { status: 410 } : { status: 204 });
    await testSend(email, id);
    await arrived('/gone', 1, 'the 410');
    await waitUntil(
      async () =>
        (
          await p
            .http()
            .get(`/api/webhooks/${id}`)
            .set('Authorization', await auth(email))
        ).body.enabled === false,
      5_000,
      'disabled',
    );
    const one = await p
      .http()
      .get(`/api/webhooks/${id}`)
      .set('Authorization', await auth(email));
    expect(one.body).toMatchObject({ enabled: false, disabled_reason: expect.stringMatching(/410/), failing: 1 });
    p.backend.script = () => [{ delay: 5, event: { type: 'done', response: 'ok' } }];
    await turn(email);
    await testSend(email, id);
    // The test message is made but not sent: its delivery fails at once.
    await waitUntil(async () => (await deliveries(email, id))[0]?.error === 'the endpoint is disabled', 5_000, 'the refused delivery');
    expect(receiver.for('/gone')).toHaveLength(1);
    receiver.answer = () => ({ status: 204 });
  });

  it('a redirect is not followed and counts as a failure; no answer within the timeout is a failure', async () => {
    const email = 'moved@example.com';
    const moved = (await register(email, '/moved', { events: ['turn.completed'] })).body as { id: string };
    const slow = (await register(email, '/slow', { events: ['turn.completed'] })).body as { id: string };
    receiver.answer = (_r, path) =>
      path === '/moved' ? { status: 302, headers: { Location: receiver.url('/elsewhere') } } : path === '/slow' ? { hang: true } : { status: 204 };
    await testSend(email, moved.id);
    await testSend(email, slow.id);
    const firstAttempt = async (id: string) =>
      ((await deliveries(email, id)) as { attempt: number; status: string; error?: string; response_code?: number }[]).find((d) => d.attempt === 1);
    await waitUntil(async () => (await firstAttempt(moved.id)) !== undefined && (await firstAttempt(slow.id)) !== undefined, 15_000, 'both first attempts');
    expect(await firstAttempt(moved.id)).toMatchObject({ status: 'retry', response_code: 302, error: expect.stringMatching(/redirect not followed/) });
    expect(await firstAttempt(slow.id)).toMatchObject({ status: 'retry', error: 'no answer within 2000 ms' });
    expect(receiver.for('/elsewhere')).toHaveLength(0);
    // After the last retry of the schedule (three here), the delivery is given up.
    await waitUntil(async () => (await deliveries(email, moved.id))[0]?.status === 'failed', 10_000, 'the delivery given up');
    expect((await deliveries(email, moved.id)).map((d) => [d.attempt, d.status])).toEqual([
      [4, 'failed'],
      [3, 'retry'],
      [2, 'retry'],
      [1, 'retry'],
    ]);
    expect(receiver.for('/moved')).toHaveLength(4);
    receiver.answer = () => ({ status: 204 });
  });

  it('a receiver that is down: retried until it is back, then delivered; the metrics show the wait', async () => {
    const email = 'down@example.com';
    const down = new WebhookReceiver();
    await down.start();
    const port = down.port;
    const res = await p
      .http()
      .post('/api/webhooks')
      .set('Authorization', await auth(email))
      .send({ url: down.url('/down'), events: ['turn.completed'] });
    down.secrets.set('/down', res.body.secret as string);
    await down.stop();
    await testSend(email, res.body.id);
    const attempts = async () => (await deliveries(email, res.body.id)) as { error?: string; status: string }[];
    await waitUntil(async () => (await attempts()).length >= 2, 5_000, 'two refused attempts');
    expect((await attempts())[0].error).toMatch(/ECONNREFUSED/);
    // Metrics: retries counted, and the message waiting shows as the oldest undelivered one.
    const metricsKey = await key('metrics-hooks@example.com', ['admin']);
    const scrape = async () => (await p.http().get('/metrics').set('Authorization', `Bearer ${metricsKey}`).expect(200)).text;
    const metric = (text: string, name: string) => Number(new RegExp(`^${name.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
    const whileDown = await scrape();
    expect(metric(whileDown, 'paliadin_webhook_deliveries_total{outcome="retry"}')).toBeGreaterThanOrEqual(2);
    expect(metric(whileDown, 'paliadin_webhook_oldest_undelivered_seconds')).toBeGreaterThan(0);
    await down.start(port);
    try {
      await waitUntil(() => down.received.length === 1, 10_000, 'the delivery once it is back');
      expect(down.received[0].verified).toBe(true);
      await waitUntil(async () => metric(await scrape(), 'paliadin_webhook_oldest_undelivered_seconds') === 0, 5_000, 'nothing left undelivered');
      expect(metric(await scrape(), 'paliadin_webhook_deliveries_total{outcome="delivered"}')).toBeGreaterThanOrEqual(1);
    } finally {
      await down.stop();
    }
  });
});

describe('webhooks: no private targets unless allowed', () => {
  let app: Awaited<ReturnType<typeof startTestApp>>['app'];
  beforeAll(async () => {
    ({ app } = await startTestApp({ env: { PALIADIN_OWNER_EMAILS: '' } }));
  });
  afterAll(async () => app?.close());

  it.each([
    'http://127.0.0.1:8080/hook',
    'http://localhost/hook',
    'http://10.1.2.3/hook',
    'http://172.16.0.1/hook',
    'http://192.168.1.10/hook',
    'http://169.254.169.254/latest/meta-data',
    'http://[::1]/hook',
    'http://[fd00::1]/hook',
    'http://[fe80::1]/hook',
    'http://[::ffff:127.0.0.1]/hook',
    'http://0.0.0.0/hook',
  ])('%s is refused at creation (400 naming url)', async (url) => {
    const res = await (
      await import('supertest')
    )
      .default(app.getHttpServer())
      .post('/api/webhooks')
      .set('Authorization', `Bearer ${await tokenFor('ssrf@example.com')}`)
      .send({ url, events: ['turn.completed'] });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/^url /);
  });
});

describe('the receiver example of docs/webhooks.md', () => {
  it('verifies and prints a delivery, and refuses a forged one', async () => {
    const db = await isolatedDatabase();
    const port = await freePort();
    const secret = `whsec_${Buffer.from('a'.repeat(32)).toString('base64')}`;
    const example = spawn(process.execPath, [path.resolve('docs/examples/webhook-receiver.mjs')], {
      env: { ...process.env, WEBHOOK_SECRET: secret, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    example.stdout.on('data', (d: Buffer) => (out += d.toString()));
    example.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const p = await startPipelineApp({ DATABASE_URL: db.url, ...WEBHOOK_ENV });
    try {
      await waitUntil(() => err.includes('listening'), 10_000, 'the example to listen');
      const auth = await p.auth('example@example.com');
      const res = await p
        .http()
        .post('/api/webhooks')
        .set('Authorization', auth)
        .send({ url: `http://127.0.0.1:${port}/`, events: ['turn.completed'] });
      // The example verifies with the secret it was started with: give the webhook that one.
      await p.app.get(DataSource).query(`UPDATE paliadin_webhooks SET secret_sealed = $2 WHERE id = $1`, [res.body.id, p.app.get(WebhookSecrets).seal(secret)]);
      const sent = await p.http().post(`/api/webhooks/${res.body.id}/test`).set('Authorization', auth).expect(202);
      await waitUntil(() => out.includes('webhook.test'), 10_000, 'the example to print the event');
      expect(JSON.parse(out.trim().split('\n')[0])).toEqual({ id: sent.body.message_id, type: 'webhook.test', data: { webhook_id: res.body.id } });
      const forged = await fetch(`http://127.0.0.1:${port}/`, {
        method: 'POST',
        headers: { 'webhook-id': 'msg_x', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': 'v1,AAAA' },
        body: '{"type":"turn.completed"}',
      });
      expect(forged.status).toBe(400);
    } finally {
      example.kill();
      await p.app.close();
      await db.drop();
    }
  });
});
