import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { TurnRunners } from '../../src/paliadin/turn-runners.js';
import { isolatedDatabase } from '../support/isolated-database.js';
import { kinds, startPipelineApp, type PipelineApp } from '../support/pipeline-app.js';
import type { Step } from '../support/scripted-backend.js';
import type { SseEvent } from '../support/sse-client.js';
import { waitUntil } from '../support/wait.js';
import { installWriteFaults, type Fault } from '../support/write-faults.js';

const chunks = (n: number, prefix = 'c') => Array.from({ length: n }, (_, i) => `${prefix}${i} `);
const contentText = (events: SseEvent[]) =>
  events
    .filter((e) => e.event === 'content')
    .map((e) => (e.data as { delta: string }).delta)
    .join('');
const ids = (events: SseEvent[]) => events.filter((e) => e.event !== 'ping').map((e) => Number(e.id));

/**
 * The invariant of the event log: `end` is stored only over a gap-free log,
 * and whatever fails to be stored ends the turn with a coded, retryable error
 * (or leaves it to the janitor), never with `end` over missing events. The
 * failures are real ones, raised by the database itself (test/support/write-faults.ts).
 */
describe('event log under write failures', () => {
  let db: { url: string; drop: () => Promise<void> };
  let faults: Awaited<ReturnType<typeof installWriteFaults>>;
  let p: PipelineApp;
  let ds: DataSource;
  const scripts = new Map<string, Step[]>();
  const row = async (id: string) => (await ds.query(`SELECT * FROM paliadin_turns WHERE turn_id = $1`, [id]))[0];
  /** Asks with a fresh marker message and the given fault on its writes. */
  const askWithFault = async (email: string, fault: Omit<Fault, 'marker'> | undefined, script: Step[]) => {
    const marker = `fault-${randomUUID()}`;
    if (fault) await faults.add({ marker, ...fault });
    scripts.set(marker, script);
    return p.ask(email, { user_message: marker });
  };

  beforeAll(async () => {
    db = await isolatedDatabase();
    p = await startPipelineApp({ DATABASE_URL: db.url, PALIADIN_DB_RETRY_MS: '400', PALIADIN_JANITOR_INTERVAL_MS: '50', PALIADIN_ONESHOT_TIMEOUT_MS: '300' });
    ds = p.app.get(DataSource);
    p.backend.script = (req) => scripts.get(req.message) ?? [{ event: { type: 'done', response: 'ok' } }];
    faults = await installWriteFaults(db.url);
  });
  afterAll(async () => {
    await p.app.close();
    await db.drop();
  });

  it('a batch that fails once after the answer arrived is stored on retry: every chunk, then end (no silent truncation)', async () => {
    const text = chunks(28);
    const id = await askWithFault('retry@example.com', { sqlstate: '57014', times: 1 }, [{ burst: text }, { event: { type: 'done', response: '' } }]);
    const read = await p.read('retry@example.com', id);
    expect(kinds(read.events)).toEqual(['meta', ...text.map(() => 'content'), 'end']);
    expect(ids(read.events)).toEqual(read.events.filter((e) => e.event !== 'ping').map((_, i) => i + 1));
    expect(contentText(read.events)).toBe(text.join(''));
    expect((await row(id)).response).toBe(text.join('').trimEnd());
  });

  it('events the database refuses outright end the turn with a retryable interrupted error, never end over the gap', async () => {
    const steps: Step[] = chunks(8).map((t) => ({ delay: 15, event: { type: 'chunk', text: t } }));
    const id = await askWithFault('refused@example.com', { sqlstate: '22000', times: -1, minSeq: 5 }, [...steps, { event: { type: 'done', response: '' } }]);
    const read = await p.read('refused@example.com', id);
    const got = kinds(read.events);
    expect(got.at(-1)).toBe('error');
    expect(got).not.toContain('end');
    expect(read.events.at(-1)!.data).toEqual({ code: 'interrupted', message: 'The answer could not be stored; please ask again', retryable: true });
    // What is stored is a gap-free prefix: meta, the chunks before seq 5, then the error.
    expect(ids(read.events)).toEqual(got.map((_, i) => i + 1));
    expect(got.filter((k) => k === 'content').length).toBeLessThan(8);
    const r = await row(id);
    expect(r.error_code).toBe('interrupted');
    expect(r.response).toBeNull();
  });

  it('a database that keeps failing longer than PALIADIN_DB_RETRY_MS gives the turn up as interrupted', async () => {
    const id = await askWithFault('outlasted@example.com', { sqlstate: '53100', times: -1 }, [
      { burst: chunks(5) },
      { delay: 20, event: { type: 'done', response: '' } },
    ]);
    const read = await p.read('outlasted@example.com', id);
    expect(kinds(read.events)).toEqual(['meta', 'error']);
    expect(read.events.at(-1)!.data).toMatchObject({ code: 'interrupted', retryable: true });
    expect((await row(id)).error_code).toBe('interrupted');
  });

  it('one turn whose events cannot be stored never holds up the others that share its flushes', async () => {
    const good = chunks(40, 'g');
    const bad = askWithFault('bad@example.com', { sqlstate: '22000', times: -1 }, [{ burst: chunks(40, 'b') }, { event: { type: 'done', response: '' } }]);
    const goods = Array.from({ length: 3 }, (_, i) =>
      askWithFault(`good${i}@example.com`, undefined, [{ burst: good }, { event: { type: 'done', response: '' } }]),
    );
    const [badId, ...goodIds] = await Promise.all([bad, ...goods]);
    const reads = await Promise.all(goodIds.map((id, i) => p.read(`good${i}@example.com`, id)));
    for (const read of reads) {
      expect(kinds(read.events).at(-1)).toBe('end');
      expect(contentText(read.events)).toBe(good.join(''));
    }
    const badRead = await p.read('bad@example.com', badId);
    expect(kinds(badRead.events)).toEqual(['meta', 'error']);
  });

  it('U+0000 and lone surrogates from an upstream are made storable: the turn completes and the stream matches the row', async () => {
    const id = await askWithFault('nul@example.com', undefined, [
      { event: { type: 'chunk', text: 'a\u0000b ' } },
      { delay: 5, event: { type: 'chunk', text: '\ud800x ' } },
      { delay: 5, event: { type: 'meta', meta: { classifierTag: 'tag\u0000', usedTools: ['t\udc00'] } } },
      { event: { type: 'done', response: '' } },
    ]);
    const read = await p.read('nul@example.com', id);
    expect(kinds(read.events)).toEqual(['meta', 'content', 'content', 'end']);
    expect(contentText(read.events)).toBe('ab \ufffdx ');
    expect(read.events.at(-1)!.data).toMatchObject({ classifier_tag: 'tag', used_tools: ['t\ufffd'] });
    const r = await row(id);
    expect(r.response).toBe('ab \ufffdx');
    expect(r.error_code).toBeNull();
  });

  it('the janitor delivers each late answer on its own: a turn whose delivery fails does not keep the others from theirs', async () => {
    p.backend.mode = 'oneshot';
    try {
      const never: Step[] = [{ delay: 100_000, event: { type: 'done', response: 'never' } }];
      // The bad turn's late answer can never be stored (its content and end are refused).
      const badId = await askWithFault('late-bad@example.com', { sqlstate: '22000', times: -1, kinds: ['content', 'end'] }, never);
      const okIds = await Promise.all([0, 1, 2].map((i) => askWithFault(`late${i}@example.com`, undefined, never)));
      await waitUntil(async () => (await Promise.all([badId, ...okIds].map(row))).every((r) => r.error_code === 'timeout'), 10_000, 'all four to time out');
      p.backend.late.set(badId, 'bad answer');
      okIds.forEach((id, i) => p.backend.late.set(id, i === 0 ? 'spät\u0000 angekommen' : `late answer ${i}`));
      await waitUntil(async () => (await Promise.all(okIds.map(row))).every((r) => r.response !== null), 10_000, 'the three late answers');
      expect((await row(okIds[0])).response).toBe('spät angekommen');
      expect((await row(badId)).response).toBeNull();
      // A fresh reader (no Last-Event-ID) gets the whole outcome: the timeout, then the late answer.
      const read = await p.read('late1@example.com', okIds[1]);
      expect(read.ended).toBe(true);
      expect(kinds(read.events)).toEqual(['meta', 'error', 'content', 'end']);
      expect(read.events[2].data).toEqual({ text: 'late answer 1' });
    } finally {
      p.backend.mode = 'streaming';
    }
  });

  it('the heartbeat covers only turns the instance really runs: an orphaned row of its runner id goes stale and is ended', async () => {
    const runners = p.app.get(TurnRunners);
    // Keep a real turn running so the heartbeat is busy.
    const live = await askWithFault('busy@example.com', undefined, [{ delay: 100_000, event: { type: 'done', response: 'x' } }]);
    const [user] = await ds.query(`SELECT user_id FROM paliadin_turns WHERE turn_id = $1`, [live]);
    const orphan = randomUUID();
    // Handed over to its agent already: a turn that may have reached it ends interrupted (one that never did is run instead).
    await ds.query(
      `INSERT INTO paliadin_turns (turn_id, user_id, session_id, backend, user_message, runner_id, heartbeat_at, handed_over_at) VALUES ($1, $2, 's', 'scripted', 'orphan', $3, now(), now())`,
      [orphan, user.user_id, runners.runnerId],
    );
    await waitUntil(async () => (await row(orphan)).error_code === 'interrupted', 10_000, 'the orphaned row to be ended');
    expect((await row(live)).finished_at).toBeNull();
    await p
      .http()
      .post(`/api/paliadin/turns/${live}/cancel`)
      .set('Authorization', await p.auth('busy@example.com'));
  });
});
