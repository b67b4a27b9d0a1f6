import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createClient, PaliadinError, type PaliadinClient, type TurnEvent } from '@paliadin/client';
import { ApiKeysService } from '../../src/auth/api-keys.service.js';
import { AskingBackend } from '../support/asking-backend.js';
import { isolatedDatabase } from '../support/isolated-database.js';
import { startPipelineApp, type PipelineApp } from '../support/pipeline-app.js';
import { subFor, tokenFor } from '../support/tokens.js';
import { waitUntil } from '../support/wait.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

/** Everything a client call can do, against the real service (scripted backend, real Postgres, real HTTP). */
describe('@paliadin/client against the service', () => {
  const receiver = new WebhookReceiver();
  let db: { url: string; drop: () => Promise<void> };
  let p: PipelineApp;
  const clientFor = async (email: string, extra: Partial<Parameters<typeof createClient>[0]> = {}): Promise<PaliadinClient> =>
    createClient({ baseUrl: p.url, token: await tokenFor(email), retry: { baseMs: 5, maxMs: 50 }, ...extra });

  beforeAll(async () => {
    // A database of its own: other suites' instances would deliver this suite's webhooks.
    db = await isolatedDatabase();
    await receiver.start();
    p = await startPipelineApp(
      {
        DATABASE_URL: db.url,
        PALIADIN_WEBHOOK_ALLOW_PRIVATE: 'true',
        PALIADIN_WEBHOOK_POLL_MS: '50',
        PALIADIN_JANITOR_INTERVAL_MS: '1000000',
      },
      new AskingBackend(),
    );
    p.backend.script = (req) => [
      // An answer that keeps the reader waiting (it is left before its end).
      ...(req.message === 'quiet' ? [{ delay: 5_000, event: { type: 'chunk' as const, text: '.' } }] : []),
      { delay: 5, event: { type: 'tool', name: 'Read', inputSummary: 'notes.md', status: 'started' } },
      { delay: 5, event: { type: 'chunk', text: 'Antwort ' } },
      { delay: 5, event: { type: 'chunk', text: `auf: ${req.message}` } },
      { delay: 5, event: { type: 'done', response: `Antwort auf: ${req.message}` } },
    ];
  });
  afterAll(async () => {
    await p?.app.close();
    await receiver.stop();
    await db?.drop();
  });

  it('turns: create, typed events from the first to `end`, the row, history, the answer', async () => {
    const c = await clientFor('sdk-turns@example.com');
    const { turn_id, sse_url } = await c.turns.create({ user_message: 'eins', session_id: 'sdk-browser-1' });
    expect(sse_url).toBe(`/api/paliadin/stream/${turn_id}`);
    const events: TurnEvent[] = [];
    for await (const ev of c.turns.events(turn_id)) events.push(ev);
    expect(events.map((e) => e.event)).toEqual(['meta', 'tool', 'content', 'content', 'end']);
    expect(events.map((e) => e.id)).toEqual(['1', '2', '3', '4', '5']);
    // Narrowed by name: each data is its event's type.
    const meta = events[0];
    if (meta.event !== 'meta') throw new Error('meta first');
    expect(meta.data.turn_id).toBe(turn_id);
    const text = events.map((e) => (e.event === 'content' ? (e.data.delta ?? '') : '')).join('');
    expect(text).toBe('Antwort auf: eins');
    expect(await c.turns.answer(turn_id)).toBe('Antwort auf: eins');
    expect(await c.turns.get(turn_id)).toMatchObject({ turn_id, response: 'Antwort auf: eins', error_code: null });
    expect(await c.turns.recover(turn_id)).toMatchObject({ turn_id, recovery_state: 'recovered' });
    const history = await c.turns.history({ session: 'sdk-browser-1' });
    expect(history.map((t) => t.turn_id)).toEqual([turn_id]);
  });

  it('events from lastEventId on: the rest, none twice', async () => {
    const c = await clientFor('sdk-resume@example.com');
    const { turn_id } = await c.turns.create({ user_message: 'zwei' });
    await c.turns.answer(turn_id);
    const rest: string[] = [];
    for await (const ev of c.turns.events(turn_id, { lastEventId: '3' })) rest.push(`${ev.id}:${ev.event}`);
    expect(rest).toEqual(['4:content', '5:end']);
  });

  for (const [how, extra] of [
    ['node:http (Node, no fetch given)', {}],
    ['a given fetch', { fetch: globalThis.fetch }],
  ] as const)
    it(`leaving a stream before its end (break, an aborted signal) ends the iterator quietly and closes the connection: through ${how}`, async () => {
      const c = await clientFor('sdk-leave@example.com', extra);
      // Its first event (meta) comes at once, the next one in 5 s.
      const { turn_id } = await c.turns.create({ user_message: 'quiet' });
      // The stream responses the service is writing for this turn: one closes when its reader has gone.
      const server = p.app.getHttpServer() as import('node:http').Server;
      let open = 0;
      const track = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
        if (!req.url?.includes(`/stream/${turn_id}`)) return;
        open++;
        res.on('close', () => open--);
      };
      server.on('request', track);
      try {
        for await (const ev of c.turns.events(turn_id)) {
          expect(ev.event).toBe('meta');
          expect(open).toBe(1);
          break;
        }
        await waitUntil(() => open === 0, 2_000, 'the stream to close after break');

        const controller = new AbortController();
        const events = c.turns.events(turn_id, { signal: controller.signal });
        expect(await events.next()).toMatchObject({ done: false, value: { event: 'meta' } });
        expect(open).toBe(1);
        const waiting = events.next();
        controller.abort();
        // The next event is not waited for: the iterator ends, no error; and stays ended.
        await expect(waiting).resolves.toEqual({ done: true, value: undefined });
        await expect(events.next()).resolves.toEqual({ done: true, value: undefined });
        await waitUntil(() => open === 0, 2_000, 'the stream to close after abort');
      } finally {
        server.off('request', track);
        await c.turns.cancel(turn_id);
      }
    });

  it('an agent that fails: answer() rejects with the turn error code; a cancelled turn likewise', async () => {
    const c = await clientFor('sdk-fail@example.com');
    p.backend.script = () => [{ delay: 5, event: { type: 'error', code: 'refused', message: 'Nein.' } }];
    try {
      const { turn_id } = await c.turns.create({ user_message: 'drei' });
      const failure = await c.turns.answer(turn_id).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(PaliadinError);
      expect(failure).toMatchObject({ status: 0, code: 'refused', message: 'Nein.' });
      p.backend.script = () => [{ delay: 60_000, event: { type: 'done', response: 'never' } }];
      const slow = await c.turns.create({ user_message: 'vier' });
      const answering = c.turns.answer(slow.turn_id).catch((e: unknown) => e);
      await waitUntil(() => p.backend.started.some((r) => r.turnId === slow.turn_id), 5_000, 'the turn started');
      expect(await c.turns.cancel(slow.turn_id)).toMatchObject({ turn_id: slow.turn_id });
      expect(await answering).toMatchObject({ code: 'cancelled' });
    } finally {
      p.backend.script = (req) => [{ delay: 5, event: { type: 'done', response: `Antwort auf: ${req.message}` } }];
    }
  });

  it('answer() after a timeout: asks /recover until the late answer is there', async () => {
    const c = await clientFor('sdk-late@example.com');
    p.backend.script = (req) => {
      // The answer turns up at the agent a little after the turn gave up on it.
      setTimeout(() => p.backend.late.set(req.turnId, 'spät, aber da'), 300);
      return [{ delay: 5, event: { type: 'error', code: 'timeout', message: 'too slow', retryable: true } }];
    };
    try {
      const { turn_id } = await c.turns.create({ user_message: 'fünf' });
      expect(await c.turns.answer(turn_id)).toBe('spät, aber da');
      expect(await c.turns.get(turn_id)).toMatchObject({ response: 'spät, aber da' });
    } finally {
      p.backend.script = (req) => [{ delay: 5, event: { type: 'done', response: `Antwort auf: ${req.message}` } }];
    }
  });

  it('sessions: create, exec, the session stream to its end, checkin, list; remove for admins only', async () => {
    const email = 'sdk-sessions@example.com';
    const c = await clientFor(email);
    p.backend.script = (req) => [{ delay: 5, event: { type: 'done', response: `Antwort auf: ${req.message}` } }];
    const s = await c.sessions.create({ name: 'sdk-work', expires_in: '1h' });
    expect(s).toMatchObject({ name: 'sdk-work', status: 'active' });
    expect(s.instructions.exec_url).toContain(s.id);
    const ran = await c.sessions.exec(s.id, { input: 'sechs' });
    expect(await c.turns.answer(ran.turn_id)).toBe('Antwort auf: sechs');
    expect((await c.sessions.list()).sessions.map((x) => x.id)).toContain(s.id);
    expect(await c.sessions.get(s.id)).toMatchObject({ id: s.id, turns: 1 });
    expect(await c.sessions.checkin(s.id)).toMatchObject({ session_id: s.id, status: 'ended' });
    const seen: string[] = [];
    for await (const ev of c.sessions.events(s.id)) {
      seen.push(ev.event === 'session' ? `session:${ev.data.status}` : ev.event);
      if (ev.event === 'content') expect(ev.data.turn_id).toBe(ran.turn_id);
    }
    expect(seen).toEqual(['session:active', 'turn', 'content', 'end', 'session:ended']);
    // The same stream from a session-style id on: the rest only.
    const ids: string[] = [];
    for await (const ev of c.sessions.events(s.id)) ids.push(ev.id);
    expect(ids).toEqual(['1', '2', '2.2', '2.3', '3']);
    const rest: string[] = [];
    for await (const ev of c.sessions.events(s.id, { lastEventId: '2.2' })) rest.push(ev.id);
    expect(rest).toEqual(['2.3', '3']);
    // This backend has no terminal: the screen stream is refused at once (not retried), saying where to look instead.
    const other = await c.sessions.create({});
    await expect(
      (async () => {
        for await (const _ of c.sessions.screenEvents(other.id)) throw new Error('no screen expected');
      })(),
    ).rejects.toMatchObject({ status: 409, code: 'NO_TERMINAL' });
    const refused = await c.sessions.remove(other.id).catch((e: unknown) => e);
    expect(refused).toMatchObject({ status: 403 });
    // Pipeline apps have no owners: an admin here is a key with `admin`.
    const adminKey = (
      await p.app.get(ApiKeysService).create({ userId: subFor('sdk-admin@example.com'), email: 'sdk-admin@example.com', name: 'sdk', scopes: ['admin'] })
    ).key;
    const byKey = await clientFor('unused@example.com', { token: adminKey });
    expect(await byKey.sessions.remove(other.id)).toMatchObject({ status: 'terminated', id: other.id });
  });

  it('requests: the agent asks, the stream shows it, requests.list has it, requests.answer lets the turn finish; another answer is a 409 with how it was resolved', async () => {
    const c = await clientFor('sdk-asks@example.com');
    const { turn_id } = await c.turns.create({ user_message: 'ask me' });
    const seen: TurnEvent[] = [];
    for await (const ev of c.turns.events(turn_id)) {
      seen.push(ev);
      if (ev.event !== 'permission') continue;
      expect(ev.data).toMatchObject({ tool: 'Write', input_summary: 'notes.txt' });
      const listed = await c.requests.list(turn_id);
      expect(listed.requests.map((r) => r.request_id)).toEqual([ev.data.request_id]);
      expect(await c.requests.answer(turn_id, ev.data.request_id, { decision: 'allow_once' })).toMatchObject({
        request_id: ev.data.request_id,
        status: 'resolved',
      });
      // The same answer again is answered the same; another one is refused with the stored outcome.
      await c.requests.answer(turn_id, ev.data.request_id, { decision: 'allow_once' });
      const other = await c.requests.answer(turn_id, ev.data.request_id, { decision: 'deny' }).catch((e: unknown) => e);
      expect(other).toMatchObject({ status: 409, code: 'REQUEST_RESOLVED', body: { request: { request_id: ev.data.request_id } } });
    }
    expect(seen.map((e) => e.event)).toEqual(['meta', 'permission', 'resolved', 'content', 'end']);
    expect(await c.turns.get(turn_id)).toMatchObject({ response: expect.stringContaining('allow_once') });
  });

  it('errors are PaliadinErrors with status, code, message and the request id', async () => {
    const c = await clientFor('sdk-errors@example.com');
    const bad = await c.turns.create({ user_message: '' }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(PaliadinError);
    expect(bad).toMatchObject({ status: 400, message: expect.stringContaining('user_message') });
    expect((bad as PaliadinError).requestId).toMatch(/.+/);
    const missing = await c.turns.get('00000000-0000-4000-8000-000000000000').catch((e: unknown) => e);
    expect(missing).toMatchObject({ status: 404 });
    await c.sessions.create({ name: 'sdk-dup' });
    const dup = await c.sessions.create({ name: 'sdk-dup' }).catch((e: unknown) => e);
    expect(dup).toMatchObject({ status: 409, code: 'SESSION_EXISTS' });
    // Streams: a 4xx is final, never retried for ever.
    const iterate = async () => {
      for await (const _ of c.turns.events('00000000-0000-4000-8000-000000000000')) throw new Error('no event expected');
    };
    await expect(iterate()).rejects.toMatchObject({ status: 404 });
    const unsigned = createClient({ baseUrl: p.url, token: 'not-a-token' });
    await expect(unsigned.turns.history({ session: 'x' })).rejects.toMatchObject({ status: 401 });
  });

  it('an API key and a token function; a custom fetch is the one used', async () => {
    const email = 'sdk-key@example.com';
    const { key } = await p.app.get(ApiKeysService).create({ userId: subFor(email), email, name: 'sdk', scopes: ['paliadin:turn', 'paliadin:read'] });
    const urls: string[] = [];
    const c = createClient({
      baseUrl: `${p.url}/`,
      token: () => Promise.resolve(key),
      fetch: (input, init) => {
        urls.push(input instanceof Request ? input.url : input.toString());
        return fetch(input, init);
      },
    });
    const { turn_id } = await c.turns.create({ user_message: 'sieben' });
    expect(await c.turns.answer(turn_id)).toBe('Antwort auf: sieben');
    expect(urls[0]).toBe(`${p.url}/api/paliadin/turn`);
    expect(urls).toContain(`${p.url}/api/paliadin/stream/${turn_id}`);
    // The key's scopes hold: no sessions:read.
    await expect(c.sessions.list()).rejects.toMatchObject({ status: 403, message: expect.stringContaining('sessions:read') });
  });

  it('webhooks: create, a real delivery verified by webhooks.verify; a forged or stale one refused', async () => {
    const c = await clientFor('sdk-hooks@example.com');
    const hook = await c.webhooks.create({ url: receiver.url('/sdk'), events: ['turn.completed'] });
    receiver.secrets.set('/sdk', hook.secret);
    expect((await c.webhooks.list()).webhooks.map((w) => w.id)).toContain(hook.id);
    const { turn_id } = await c.turns.create({ user_message: 'acht' });
    await c.turns.answer(turn_id);
    await waitUntil(() => receiver.for('/sdk').length > 0, 10_000, 'the delivery');
    const got = receiver.for('/sdk')[0];
    const headers = { 'webhook-id': got.id, 'webhook-timestamp': got.timestamp, 'webhook-signature': got.signature };
    const payload = await c.webhooks.verify(got.body, headers, hook.secret);
    expect(payload).toMatchObject({ type: 'turn.completed', data: { turn_id, response: 'Antwort auf: acht' } });
    // Headers as a Headers object (fetch's, a browser's) work the same.
    await expect(c.webhooks.verify(got.body, new Headers(headers), hook.secret)).resolves.toMatchObject({ type: 'turn.completed' });
    await expect(c.webhooks.verify(got.body.replace('acht', 'neun'), headers, hook.secret)).rejects.toMatchObject({ code: 'BAD_SIGNATURE' });
    await expect(c.webhooks.verify(got.body, headers, `whsec_${Buffer.alloc(32, 1).toString('base64')}`)).rejects.toMatchObject({ code: 'BAD_SIGNATURE' });
    await expect(c.webhooks.verify(got.body, { ...headers, 'webhook-signature': undefined }, hook.secret)).rejects.toMatchObject({
      message: expect.stringContaining('webhook-signature'),
    });
    const later = new Date(Number(got.timestamp) * 1000 + 10 * 60_000);
    await expect(c.webhooks.verify(got.body, headers, hook.secret, { now: later })).rejects.toMatchObject({ message: expect.stringContaining('too far') });
    const { message_id } = await c.webhooks.test(hook.id);
    expect(message_id).toMatch(/^msg_/);
    await waitUntil(async () => (await c.webhooks.deliveries(hook.id)).deliveries.length >= 2, 10_000, 'both deliveries listed');
    await c.webhooks.remove(hook.id);
    await expect(c.webhooks.get(hook.id)).rejects.toMatchObject({ status: 404 });
  });

  it('admin: stats for an admin, 404 for everyone else', async () => {
    const email = 'sdk-admin2@example.com';
    const { key } = await p.app.get(ApiKeysService).create({ userId: subFor(email), email, name: 'sdk', scopes: ['paliadin:admin'] });
    const admin = createClient({ baseUrl: p.url, token: key });
    const stats = await admin.admin.stats();
    expect(stats.total_turns).toBeGreaterThan(0);
    expect(Array.isArray(await admin.admin.turns({ limit: 2 }))).toBe(true);
    const user = await clientFor('sdk-notadmin@example.com');
    await expect(user.admin.stats()).rejects.toMatchObject({ status: 404 });
  });
});
