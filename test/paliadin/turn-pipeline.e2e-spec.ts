import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { heartbeatsForever } from '../support/scripted-backend.js';
import { kinds, startPipelineApp, type PipelineApp } from '../support/pipeline-app.js';

const ANSWER =
  'Hallo! Siehe [Fall 42](paliad:case/42) und [Akte 7](paliad:file/7).\n' +
  '<!-- paliadin-meta {"used_tools":["search_cases"],"rows_seen":[42,"7","x"],"classifier_tag":"lookup"} -->';

/** The turn's row as stored. */
const turnRow = async (db: DataSource, id: string) => (await db.query(`SELECT * FROM paliadin_turns WHERE turn_id = $1`, [id]))[0];

describe('turn pipeline', () => {
  let p: PipelineApp;
  let db: DataSource;
  beforeAll(async () => {
    // Synthesised thinking and the turn's limits stay off here (QUIET_TIMINGS): at short values a
    // busy machine's slow step would slip a thinking event into the exact sequences these tests
    // assert, or end a turn that is only slow (the limits have their own describe below).
    p = await startPipelineApp();
    db = p.app.get(DataSource);
  });
  afterAll(() => p.app.close());
  afterEach(() => {
    p.backend.mode = 'streaming';
  });
  const row = (id: string) => turnRow(db, id);

  it('one-shot success: meta, content {text}, end with the trailer parsed; the row is completed', async () => {
    p.backend.mode = 'oneshot';
    p.backend.script = () => [{ delay: 10, event: { type: 'done', response: ANSWER } }];
    const id = await p.ask('oneshot@example.com', {
      user_message: '  Welche Fälle?  ',
      session_id: 's-1',
      context: { page_origin: '/cases', route_name: 'cases' },
    });
    const read = await p.read('oneshot@example.com', id);
    expect(read.status).toBe(200);
    expect(read.ended).toBe(true);
    expect(kinds(read.events)).toEqual(['meta', 'content', 'end']);
    const [meta, content, end] = read.events.filter((e) => e.event !== 'ping');
    expect(meta).toMatchObject({ id: '1', data: { turn_id: id } });
    expect(new Date((meta.data as { started_at: string }).started_at).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(content).toEqual({ id: '2', event: 'content', data: { text: 'Hallo! Siehe [Fall 42](paliad:case/42) und [Akte 7](paliad:file/7).' } });
    expect(end.id).toBe('3');
    expect(end.data).toMatchObject({ turn_id: id, used_tools: ['search_cases'], rows_seen: [42, 7], chip_count: 2, classifier_tag: 'lookup' });
    expect(end.data).not.toHaveProperty('streamed');

    const r = await row(id);
    expect(r.response).toBe('Hallo! Siehe [Fall 42](paliad:case/42) und [Akte 7](paliad:file/7).');
    expect(r.error_code).toBeNull();
    expect(r.finished_at).toBeInstanceOf(Date);
    expect(r.user_message).toBe('Welche Fälle?');
    expect(r.session_id).toBe('s-1');
    expect(r.page_origin).toBe('/cases');
    expect(r.context).toEqual({ page_origin: '/cases', route_name: 'cases' });
    expect(r.backend).toBe('scripted');
    expect(r.tokens).toBe(Math.ceil(r.response.length / 4));
    expect(r.chip_count).toBe(2);
    expect(r.used_tools).toEqual(['search_cases']);
    expect(r.rows_seen).toEqual(['42', '7']);
    expect(r.duration_ms).toBeGreaterThanOrEqual(0);
    expect(p.backend.started.find((s) => s.turnId === id)).toMatchObject({
      message: 'Welche Fälle?',
      sessionId: 's-1',
      agentSession: expect.stringMatching(/^paliad-paliadin-[0-9a-f]{8}$/),
    });
  });

  it('streaming success: content {delta, streamed}, then end with streamed and the upstream meta', async () => {
    p.backend.script = () => [
      { event: { type: 'conversation', conversationId: 'conv-9' } },
      { delay: 5, event: { type: 'chunk', text: 'Hal' } },
      { delay: 5, event: { type: 'chunk', text: 'lo ' } },
      { delay: 5, event: { type: 'chunk', text: 'Welt' } },
      { event: { type: 'meta', meta: { usedTools: ['t1'], rowsSeen: [5], classifierTag: 'chat' } } },
      { event: { type: 'done', response: 'Hallo Welt', durationMs: 1234 } },
    ];
    const id = await p.ask('stream@example.com');
    const read = await p.read('stream@example.com', id);
    const events = read.events.filter((e) => e.event !== 'ping');
    expect(kinds(events)).toEqual(['meta', 'content', 'content', 'content', 'end']);
    expect(events.slice(1, 4).map((e) => e.data)).toEqual([
      { delta: 'Hal', streamed: true },
      { delta: 'lo ', streamed: true },
      { delta: 'Welt', streamed: true },
    ]);
    expect(events[4].data).toEqual({
      turn_id: id,
      used_tools: ['t1'],
      rows_seen: [5],
      chip_count: 0,
      classifier_tag: 'chat',
      duration_ms: 1234,
      streamed: true,
      aichat_conversation_id: 'conv-9',
    });
    expect(events.map((e) => e.id)).toEqual(['1', '2', '3', '4', '5']);
    const r = await row(id);
    expect(r.response).toBe('Hallo Welt');
    expect(r.aichat_conversation_id).toBe('conv-9');
    expect(r.duration_ms).toBe(1234);
  });

  it('upstream error: the backend error becomes the error event and the row error_code', async () => {
    p.backend.script = () => [{ delay: 5, event: { type: 'error', code: 'shim_error', message: 'The shim failed: exit 3', retryable: true } }];
    const id = await p.ask('err@example.com');
    const read = await p.read('err@example.com', id);
    expect(kinds(read.events)).toEqual(['meta', 'error']);
    expect(read.events.at(-1)!.data).toEqual({ code: 'shim_error', message: 'The shim failed: exit 3', retryable: true });
    expect((await row(id)).error_code).toBe('shim_error');
    expect((await row(id)).response).toBeNull();
  });

  it('a backend that throws gives upstream_error with no raw exception text', async () => {
    p.backend.script = () => [{ delay: 5, throw: 'ECONNRESET at 10.0.0.1:5432 secret' }];
    const id = await p.ask('throw@example.com');
    const read = await p.read('throw@example.com', id);
    const last = read.events.at(-1)!;
    expect(last.event).toBe('error');
    expect(last.data).toEqual({ code: 'upstream_error', message: 'The agent backend failed' });
    expect(JSON.stringify(read.events)).not.toContain('secret');
  });

  it('a backend that completes without an answer is an upstream_error', async () => {
    p.backend.script = () => [{ delay: 5, complete: true }];
    const id = await p.ask('empty@example.com');
    const read = await p.read('empty@example.com', id);
    expect(read.events.at(-1)).toMatchObject({ event: 'error', data: { code: 'upstream_error' } });
  });

  it('heartbeats from the upstream are relayed as thinking with upstream: true', async () => {
    p.backend.script = () => [
      { delay: 5, event: { type: 'heartbeat', elapsedSeconds: 5 } },
      { delay: 5, event: { type: 'heartbeat', elapsedSeconds: 10 } },
      { delay: 5, event: { type: 'chunk', text: 'x' } },
      { delay: 5, event: { type: 'heartbeat', elapsedSeconds: 15 } },
      { delay: 5, event: { type: 'done', response: 'x' } },
    ];
    const id = await p.ask('hb@example.com');
    const read = await p.read('hb@example.com', id);
    const relayed = read.events.filter((e) => e.event === 'thinking' && (e.data as { upstream?: boolean }).upstream);
    expect(relayed.map((e) => e.data)).toEqual([
      { elapsed_seconds: 5, since_first: false, upstream: true },
      { elapsed_seconds: 10, since_first: false, upstream: true },
      { elapsed_seconds: 15, since_first: true, upstream: true },
    ]);
  });

  it('cancel stops the backend, stores cancelled, emits error cancelled; again or after the end it is a no-op', async () => {
    p.backend.mode = 'oneshot';
    p.backend.script = () => [{ delay: 100_000, event: { type: 'done', response: 'never' } }];
    const email = 'cancel@example.com';
    const id = await p.ask(email);
    const res = await p
      .http()
      .post(`/api/paliadin/turns/${id}/cancel`)
      .set('Authorization', await p.auth(email));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ turn_id: id, error_code: 'cancelled' });
    expect(res.body.finished_at).not.toBeNull();
    expect(p.backend.cancelled.has(id)).toBe(true);
    const read = await p.read(email, id);
    expect(read.events.at(-1)).toMatchObject({ event: 'error', data: { code: 'cancelled' } });

    const again = await p
      .http()
      .post(`/api/paliadin/turns/${id}/cancel`)
      .set('Authorization', await p.auth(email));
    expect(again.status).toBe(200);
    expect(again.body).toEqual(res.body);
    const events = await db.query(`SELECT count(*)::int AS n FROM paliadin_turn_events WHERE turn_id = $1 AND kind = 'error'`, [id]);
    expect(events[0].n).toBe(1);

    p.backend.script = () => [{ event: { type: 'done', response: 'fine' } }];
    const done = await p.ask(email);
    await p.read(email, done);
    const late = await p
      .http()
      .post(`/api/paliadin/turns/${done}/cancel`)
      .set('Authorization', await p.auth(email));
    expect(late.status).toBe(200);
    expect(late.body).toMatchObject({ response: 'fine', error_code: null });
  });

  it('a client that disconnects does not cancel the turn', async () => {
    p.backend.script = () => [
      { delay: 150, event: { type: 'chunk', text: 'still ' } },
      { delay: 10, event: { type: 'done', response: 'still here' } },
    ];
    const email = 'leaver@example.com';
    const id = await p.ask(email);
    const first = await p.read(email, id, { stopAfterEvents: 1 });
    expect(first.ended).toBe(false);
    const rest = await p.read(email, id, { lastEventId: '1' });
    expect(rest.events.at(-1)).toMatchObject({ event: 'end' });
    expect(p.backend.cancelled.has(id)).toBe(false);
    expect((await row(id)).response).toBe('still here');
  });

  it('a finished turn replays whole and closes, again and again', async () => {
    p.backend.script = () => [{ event: { type: 'chunk', text: 'a' } }, { event: { type: 'done', response: 'a' } }];
    const id = await p.ask('replay@example.com');
    const first = await p.read('replay@example.com', id);
    const second = await p.read('replay@example.com', id);
    expect(second.ended).toBe(true);
    expect(second.events).toEqual(first.events);
    const tail = await p.read('replay@example.com', id, { query: { last_event_id: '2' } });
    expect(tail.events.map((e) => e.id)).toEqual(['3']);
    const none = await p.read('replay@example.com', id, { lastEventId: '3' });
    expect(none.events).toEqual([]);
    expect(none.ended).toBe(true);
  });

  it('sends the SSE headers of docs/events.md', async () => {
    const id = await p.ask('headers@example.com');
    const read = await p.read('headers@example.com', id);
    expect(read.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(read.headers['cache-control']).toBe('no-cache, no-transform');
    expect(read.headers['x-accel-buffering']).toBe('no');
    expect(read.headers['content-encoding']).toBeUndefined();
  });

  it('stores a burst of thousands of chunks in order, every one exactly once', async () => {
    const words = Array.from({ length: 3000 }, (_, i) => `w${i} `);
    p.backend.script = () => [{ burst: words }, { event: { type: 'done', response: words.join('') } }];
    const id = await p.ask('burst@example.com');
    const read = await p.read('burst@example.com', id, { dropPings: true });
    const deltas = read.events.filter((e) => e.event === 'content').map((e) => (e.data as { delta: string }).delta);
    expect(deltas).toEqual(words);
    expect(read.events.map((e) => Number(e.id))).toEqual(Array.from({ length: 3002 }, (_, i) => i + 1));
    expect((await row(id)).response).toBe(words.join('').trimEnd());
  });
});

describe("a turn's limits", () => {
  let p: PipelineApp;
  let db: DataSource;
  beforeAll(async () => {
    // The deadline is well past the silence, so a slow timer cannot end the silence test by it.
    p = await startPipelineApp({
      PALIADIN_SILENCE_TIMEOUT_MS: '400',
      PALIADIN_STREAM_DEADLINE_MS: '1500',
      PALIADIN_ONESHOT_TIMEOUT_MS: '600',
    });
    db = p.app.get(DataSource);
  });
  afterAll(() => p.app.close());
  afterEach(() => {
    p.backend.mode = 'streaming';
    p.backend.handOverDelayMs = 0;
  });
  const row = (id: string) => turnRow(db, id);

  it('upstream silence ends a streaming turn with upstream_silence and cancels the backend', async () => {
    p.backend.script = () => [
      { delay: 5, event: { type: 'chunk', text: 'partial' } },
      { delay: 100_000, event: { type: 'done', response: 'never' } },
    ];
    const id = await p.ask('silent@example.com');
    const read = await p.read('silent@example.com', id);
    expect(read.events.at(-1)).toMatchObject({ event: 'error', data: { code: 'upstream_silence' } });
    expect(p.backend.cancelled.has(id)).toBe(true);
    expect((await row(id)).error_code).toBe('upstream_silence');
  });

  it('the streaming deadline ends a turn that keeps heartbeating with timeout', async () => {
    p.backend.script = () => heartbeatsForever(30);
    const id = await p.ask('deadline@example.com');
    const read = await p.read('deadline@example.com', id);
    expect(read.events.at(-1)).toMatchObject({ event: 'error', data: { code: 'timeout' } });
    expect(p.backend.cancelled.has(id)).toBe(true);
    expect((await row(id)).error_code).toBe('timeout');
  });

  it('the one-shot ceiling ends a one-shot turn with timeout', async () => {
    p.backend.mode = 'oneshot';
    p.backend.script = () => [{ delay: 100_000, event: { type: 'done', response: 'late' } }];
    const id = await p.ask('ceiling@example.com');
    const read = await p.read('ceiling@example.com', id);
    expect(read.events.at(-1)).toMatchObject({ event: 'error', data: { code: 'timeout' } });
    expect(p.backend.cancelled.has(id)).toBe(true);
  });

  it('the silence counts from the hand-over: an agent slow to take the turn is not silent', async () => {
    p.backend.handOverDelayMs = 350;
    p.backend.script = () => [{ delay: 100, event: { type: 'done', response: 'took a while' } }];
    const id = await p.ask('slow-start@example.com');
    const read = await p.read('slow-start@example.com', id);
    expect(read.events.at(-1)).toMatchObject({ event: 'end' });
    expect((await row(id)).response).toBe('took a while');
  });

  it('a turn never handed over still ends by the silence', async () => {
    p.backend.handOverDelayMs = 100_000;
    const id = await p.ask('never-out@example.com');
    const read = await p.read('never-out@example.com', id);
    expect(read.events.at(-1)).toMatchObject({ event: 'error', data: { code: 'upstream_silence' } });
    expect(p.backend.cancelled.has(id)).toBe(true);
  });
});

describe('synthesised thinking', () => {
  let p: PipelineApp;
  beforeAll(async () => {
    p = await startPipelineApp({ PALIADIN_THINKING_INTERVAL_MS: '40' });
  });
  afterAll(() => p.app.close());

  it('synthesises thinking while the upstream is silent, tracking since_first', async () => {
    p.backend.mode = 'oneshot';
    // 600 ms silences at a 40 ms interval: room for many more than the two each asserts, on a busy machine too.
    p.backend.script = () => [
      { delay: 600, event: { type: 'chunk', text: 'a' } },
      { delay: 600, event: { type: 'done', response: 'a' } },
    ];
    const id = await p.ask('think@example.com');
    const read = await p.read('think@example.com', id);
    const thinking = read.events
      .filter((e) => e.event === 'thinking')
      .map((e) => e.data as { since_first: boolean; elapsed_seconds: number; upstream?: boolean });
    expect(thinking.filter((t) => !t.since_first).length).toBeGreaterThanOrEqual(2);
    expect(thinking.filter((t) => t.since_first).length).toBeGreaterThanOrEqual(2);
    expect(thinking.every((t) => t.upstream === undefined && Number.isInteger(t.elapsed_seconds))).toBe(true);
    const firstContent = read.events.findIndex((e) => e.event === 'content');
    expect(read.events.slice(0, firstContent).every((e) => e.event !== 'thinking' || !(e.data as { since_first: boolean }).since_first)).toBe(true);
  });
});

describe('pings', () => {
  let p: PipelineApp;
  beforeAll(async () => {
    p = await startPipelineApp({ PALIADIN_PING_INTERVAL_MS: '30' });
  });
  afterAll(() => p.app.close());

  it('pings every interval with no id, and never stores them', async () => {
    // The stream opens after the POST's answer: 600 ms leave room for many 30 ms pings after that.
    p.backend.script = () => [{ delay: 600, event: { type: 'done', response: 'ok' } }];
    const id = await p.ask('ping@example.com');
    const read = await p.read('ping@example.com', id);
    const pings = read.events.filter((e) => e.event === 'ping');
    expect(pings.length).toBeGreaterThanOrEqual(2);
    expect(pings.map((e) => ({ id: e.id, data: e.data }))).toEqual(pings.map(() => ({ id: undefined, data: {} })));
    const stored = await p.app.get(DataSource).query(`SELECT kind FROM paliadin_turn_events WHERE turn_id = $1 ORDER BY seq`, [id]);
    expect(stored.map((s: { kind: string }) => s.kind)).toEqual(['meta', 'content', 'end']);
  });
});
