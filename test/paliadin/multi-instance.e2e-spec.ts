import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { TurnRunners } from '../../src/paliadin/turn-runners.js';
import { startPipelineApp, type PipelineApp } from '../support/pipeline-app.js';
import { waitUntil } from '../support/wait.js';

// The heartbeat is the suite-wide one (test-app.ts); only the janitor runs faster here.
const TIMING = { PALIADIN_JANITOR_INTERVAL_MS: '50' };

describe('several instances on one database', () => {
  let a: PipelineApp;
  let b: PipelineApp;
  beforeAll(async () => {
    a = await startPipelineApp(TIMING);
    b = await startPipelineApp(TIMING);
  });
  afterAll(async () => {
    await a.app.close().catch(() => undefined);
    await b.app.close();
  });

  it('a turn posted to A streams live from B', async () => {
    a.backend.script = () => [
      { delay: 30, event: { type: 'chunk', text: 'from ' } },
      { delay: 30, event: { type: 'chunk', text: 'A' } },
      { delay: 30, event: { type: 'done', response: 'from A' } },
    ];
    const id = await a.ask('multi@example.com');
    const read = await b.read('multi@example.com', id);
    expect(read.events.filter((e) => e.event !== 'ping').map((e) => e.event)).toEqual(['meta', 'content', 'content', 'end']);
    expect(b.backend.started).toHaveLength(0);
  });

  it('a cancel sent to B stops the runner on A', async () => {
    a.backend.script = () => [{ delay: 100_000, event: { type: 'done', response: 'never' } }];
    const id = await a.ask('multi@example.com');
    const res = await b
      .http()
      .post(`/api/paliadin/turns/${id}/cancel`)
      .set('Authorization', await b.auth('multi@example.com'));
    expect(res.status).toBe(200);
    expect(res.body.error_code).toBe('cancelled');
    expect(a.backend.cancelled.has(id)).toBe(true);
    expect(a.app.get(TurnRunners).get(id)).toBeUndefined();
  });

  it("when A dies mid-turn, B's janitor ends it as interrupted and B's reader gets that", async () => {
    a.backend.script = () => [
      { delay: 10, event: { type: 'chunk', text: 'half an ans' } },
      { delay: 100_000, event: { type: 'done', response: 'never' } },
    ];
    const id = await a.ask('multi@example.com');
    const reading = b.read('multi@example.com', id, { dropPings: true });
    const db = b.app.get(DataSource);
    await waitUntil(
      async () => (await db.query(`SELECT count(*)::int AS n FROM paliadin_turn_events WHERE turn_id = $1`, [id]))[0].n >= 2,
      10_000,
      'the chunk stored',
    );
    // A loses its database for good: no more heartbeats, no more writes, as if the process died.
    await a.app.get(DataSource).destroy();
    const read = await reading;
    expect(read.events.map((e) => e.event)).toEqual(['meta', 'content', 'error']);
    expect(read.events.at(-1)!.data).toMatchObject({ code: 'interrupted', retryable: true });
    const [row] = await b.app.get(DataSource).query(`SELECT error_code, finished_at FROM paliadin_turns WHERE turn_id = $1`, [id]);
    expect(row.error_code).toBe('interrupted');
    expect(row.finished_at).not.toBeNull();
  });
});

describe('a stream whose database reads fail', () => {
  it('ends with a coded error event that repeats the last id, never the raw exception', async () => {
    const a = await startPipelineApp();
    const b = await startPipelineApp();
    try {
      a.backend.script = () => [
        { event: { type: 'chunk', text: 'one ' } },
        { delay: 100, event: { type: 'chunk', text: 'two' } },
        { delay: 100_000, event: { type: 'done', response: 'x' } },
      ];
      const id = await a.ask('readfail@example.com');
      let delivered = 0;
      const reading = b.read('readfail@example.com', id, { dropPings: true, onEvent: (_, all) => (delivered = all.length) });
      await waitUntil(() => delivered >= 2, 10_000, "B's reader to get meta and the first chunk");
      // B still hears NOTIFY (its LISTEN connection is separate) but can no longer read the table.
      await b.app.get(DataSource).destroy();
      const read = await reading;
      const last = read.events.at(-1)!;
      expect(last.event).toBe('error');
      expect(last.data).toEqual({ code: 'upstream_error', message: 'The event stream failed; reconnect to resume', retryable: true });
      expect(Number(last.id)).toBe(Math.max(...read.events.slice(0, -1).map((e) => Number(e.id))));
      await a
        .http()
        .post(`/api/paliadin/turns/${id}/cancel`)
        .set('Authorization', await a.auth('readfail@example.com'));
    } finally {
      await a.app.close();
      await b.app.close().catch(() => undefined);
    }
  });
});

describe('graceful shutdown', () => {
  it('ends the turns an instance was running as interrupted instead of leaving them open', async () => {
    const a = await startPipelineApp();
    const b = await startPipelineApp();
    a.backend.script = () => [{ delay: 100_000, event: { type: 'done', response: 'never' } }];
    const id = await a.ask('shutdown@example.com');
    const reading = b.read('shutdown@example.com', id, { dropPings: true });
    // Once it went to its agent: a turn that never did is handed back at shutdown, for another instance to run.
    const db = a.app.get(DataSource);
    await waitUntil(
      async () => (await db.query(`SELECT handed_over_at FROM paliadin_turns WHERE turn_id = $1`, [id]))[0].handed_over_at !== null,
      10_000,
      'the hand-over',
    );
    await a.app.close();
    const read = await reading;
    expect(read.events.at(-1)).toMatchObject({ event: 'error', data: { code: 'interrupted' } });
    expect(a.backend.cancelled.has(id)).toBe(true);
    await b.app.close();
  });
});
