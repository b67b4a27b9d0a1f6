import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import type { BackendEvent } from '../../src/backends/backend.interface.js';
import { MAX_EVENTS_PER_ROW } from '../../src/paliadin/turn-event-log.js';
import { TurnFeeds } from '../../src/paliadin/turn-feeds.js';
import { TurnJanitor } from '../../src/paliadin/turn-janitor.js';
import { isolatedDatabase } from '../support/isolated-database.js';
import { kinds, startPipelineApp, type PipelineApp } from '../support/pipeline-app.js';
import type { Step } from '../support/scripted-backend.js';
import type { SseEvent } from '../support/sse-client.js';
import { waitUntil } from '../support/wait.js';

const key = (e: SseEvent) => `${e.id}|${e.event}|${JSON.stringify(e.data)}`;
const stored = (events: SseEvent[]) => events.filter((e) => e.event !== 'ping');
const WORDS = ['Akte ', 'Fall ', 'Frist ', 'Mandant ', 'Schriftsatz ', 'und ', 'der ', 'Gericht ', 'Klage '];

/** Seeded, so a failure reproduces. */
function random(seed: number): () => number {
  return () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
}

/** n chunks in bursts of `burst`, a few ms apart: several flushes, so several rows while live. */
function streamed(n: number, burst: number): { steps: Step[]; answer: string } {
  const words = Array.from({ length: n }, (_, i) => WORDS[i % WORDS.length]);
  const steps: Step[] = [];
  // Bursts far enough apart that each is a flush of its own even on a busy machine (bursts merged
  // into one row by a slow flush would make the turn look like a fast one, which is not compacted).
  for (let i = 0; i < n; i += burst) steps.push({ delay: 20, burst: words.slice(i, i + burst) });
  steps.push({ event: { type: 'done', response: '' } as BackendEvent });
  return { steps, answer: words.join('') };
}

describe('event storage', () => {
  let db: { url: string; drop: () => Promise<void> };
  let a: PipelineApp;
  let b: PipelineApp;
  let ds: DataSource;
  beforeAll(async () => {
    db = await isolatedDatabase();
    const env = { DATABASE_URL: db.url, PALIADIN_EVENT_RETENTION_DAYS: '1', PALIADIN_JANITOR_INTERVAL_MS: '1000000' };
    a = await startPipelineApp(env);
    b = await startPipelineApp(env);
    ds = a.app.get(DataSource);
  });
  afterAll(async () => {
    await a.app.close();
    await b.app.close();
    await db.drop();
  });
  const rowCount = async (id: string) => (await ds.query(`SELECT count(*)::int AS n FROM paliadin_turn_events WHERE turn_id = $1`, [id]))[0].n as number;

  it('a finished streamed turn takes at most 3x its answer plus 2 KB, and a resume from any id stays exact', async () => {
    const { steps, answer } = streamed(2_000, 25);
    a.backend.script = () => steps;
    const email = 'storage@example.com';
    const id = await a.ask(email);
    const full = stored((await a.read(email, id, { timeoutMs: 60_000 })).events);
    expect(full.at(-1)!.event).toBe('end');
    expect(
      full
        .filter((e) => e.event === 'content')
        .map((e) => (e.data as { delta: string }).delta)
        .join(''),
    ).toBe(answer);

    // Compaction follows the end: the live rows (one per flush) fold into as few as the row size allows.
    await waitUntil(async () => (await rowCount(id)) === Math.ceil(full.length / MAX_EVENTS_PER_ROW), 10_000, 'the turn to be compacted');
    const [{ bytes }] = await ds.query(
      // Each row also costs an index entry on (turn_id, seq): about 32 bytes.
      `SELECT sum(pg_column_size(e.*))::int + count(*)::int * 32 AS bytes FROM paliadin_turn_events e WHERE turn_id = $1`,
      [id],
    );
    const answerBytes = Buffer.byteLength(answer);
    process.stdout.write(`stored ${bytes} bytes for a ${answerBytes}-byte answer of 2,000 chunks (${(bytes / answerBytes).toFixed(2)}x)\n`);
    expect(bytes).toBeLessThanOrEqual(3 * answerBytes + 2_048);

    // Exact resume from every id, read back from the compacted row (ids spread over the whole turn).
    const next = random(11);
    const cuts = [0, 1, 2, full.length - 2, full.length - 1, full.length, ...Array.from({ length: 40 }, () => Math.floor(next() * full.length))];
    for (const k of cuts) {
      const rest = stored((await b.read(email, id, { lastEventId: String(k), timeoutMs: 60_000 })).events);
      expect({ k, events: rest.map(key) }).toEqual({ k, events: full.slice(k).map(key) });
    }
  });

  it('readers on the running instance take the local fast path; readers elsewhere NOTIFY; both exact under random cuts', async () => {
    const { steps } = streamed(60, 2);
    a.backend.script = () => steps.map((s) => ({ ...s, delay: 8 }));
    const email = 'fastpath@example.com';
    const id = await a.ask(email);
    const feedsA = a.app.get(TurnFeeds);
    const feedsB = b.app.get(TurnFeeds);
    const readsA = feedsA.liveReads;
    const readsB = feedsB.liveReads;
    const next = random(7);
    const readWithCuts = async (p: PipelineApp) => {
      const union: SseEvent[] = [];
      let last: string | undefined;
      for (let guard = 0; guard < 500; guard++) {
        const part = await p.read(email, id, { lastEventId: last, stopAfterBytes: 40 + Math.floor(next() * 400) });
        union.push(...stored(part.events));
        if (union.length) last = union.at(-1)!.id;
        if (part.ended || union.at(-1)?.event === 'end') return union;
      }
      throw new Error('the turn did not end');
    };
    const [onA, onB] = await Promise.all([readWithCuts(a), readWithCuts(b)]);
    const full = stored((await b.read(email, id)).events);
    expect(full.at(-1)!.event).toBe('end');
    expect(onA.map(key)).toEqual(full.map(key));
    expect(onB.map(key)).toEqual(full.map(key));
    // A's readers never had to read the table for live events; B's did, on NOTIFY.
    expect(feedsA.liveReads).toBe(readsA);
    expect(feedsB.liveReads).toBeGreaterThan(readsB);
  });

  it('retention compacts old turns to meta, the answer and end; a resume from an id that is gone gets the compacted replay', async () => {
    const { steps, answer } = streamed(30, 3);
    a.backend.script = () => steps;
    const email = 'retention@example.com';
    const id = await a.ask(email);
    const full = stored((await a.read(email, id)).events);
    const oldLast = Number(full.at(-1)!.id);
    await ds.query(`UPDATE paliadin_turns SET finished_at = now() - interval '2 days' WHERE turn_id = $1`, [id]);
    await a.app.get(TurnJanitor).runOnce();

    const fresh = stored((await a.read(email, id)).events);
    expect(kinds(fresh)).toEqual(['meta', 'content', 'end']);
    expect(fresh.map((e) => Number(e.id))).toEqual([oldLast + 1, oldLast + 2, oldLast + 3]);
    expect(fresh[0].data).toEqual(full[0].data);
    expect(fresh[1].data).toEqual({ text: answer.trimEnd() });
    expect(fresh[2].data).toEqual(full.at(-1)!.data);
    // An id the client saw before compaction no longer exists: it gets the compacted replay from its start.
    expect(stored((await a.read(email, id, { lastEventId: '7' })).events).map(key)).toEqual(fresh.map(key));
    // Ids of the compacted replay resume exactly.
    expect(stored((await a.read(email, id, { lastEventId: String(oldLast + 1) })).events).map(key)).toEqual(fresh.slice(1).map(key));
    const [t] = await ds.query(`SELECT events_compacted_at FROM paliadin_turns WHERE turn_id = $1`, [id]);
    expect(t.events_compacted_at).toBeInstanceOf(Date);
  });
});
