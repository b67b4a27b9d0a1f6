import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createClient, type PaliadinClient, type TurnEvent } from '@paliadin/client';
import { DataSource } from 'typeorm';
import { DroppingProxy, seededRandom } from '../support/dropping-proxy.js';
import { isolatedDatabase } from '../support/isolated-database.js';
import { startPipelineApp, type PipelineApp } from '../support/pipeline-app.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { tokenFor } from '../support/tokens.js';
import { waitUntil } from '../support/wait.js';

// Multi-byte text on purpose: a cut may fall inside a character.
const chunkOf = (message: string, i: number) => `${message}·${i}${i % 7 === 0 ? ' größer 🙂' : ''} `;
const CHUNKS = 60;
const answerOf = (message: string) => Array.from({ length: CHUNKS }, (_, i) => chunkOf(message, i)).join('');

/** A turn that streams its answer in CHUNKS pieces, a tool call among them, over about 100 ms. */
function streamingScript(p: PipelineApp): void {
  p.backend.script = (req) => [
    ...Array.from({ length: CHUNKS }, (_, i) => ({ delay: i % 5 === 0 ? 8 : 0, event: { type: 'chunk' as const, text: chunkOf(req.message, i) } })),
    { event: { type: 'tool', name: 'Read', inputSummary: 'x', status: 'done' } },
    { event: { type: 'done', response: answerOf(req.message) } },
  ];
}

async function all(events: AsyncIterable<TurnEvent>): Promise<TurnEvent[]> {
  const out: TurnEvent[] = [];
  for await (const ev of events) out.push(ev);
  return out;
}

describe('the client through a network that drops connections at random bytes', () => {
  let p: PipelineApp;
  let proxy: DroppingProxy;
  const seed = Number(process.env.PALIADIN_CUT_SEED ?? Date.now() % 1_000_000);

  beforeAll(async () => {
    p = await startPipelineApp({ PALIADIN_PING_INTERVAL_MS: '50', PALIADIN_MAX_INFLIGHT_PER_USER: '100' });
    streamingScript(p);
    const random = seededRandom(seed);
    // A connection carries a few bytes to 2.5 KB (its headers alone are most of a kilobyte): a cut in the headers,
    // in an event, between events; several per turn.
    proxy = new DroppingProxy(Number(new URL(p.url).port), () => 1 + Math.floor(random() * 2500));
    await proxy.start();
  });
  afterAll(async () => {
    await proxy?.stop();
    await p?.app.close();
  });

  it(`a thousand cuts during streamed answers: every event once, in order, every answer whole, read through node:http and through a given fetch (seed ${seed}; PALIADIN_CUT_SEED replays it)`, async () => {
    const email = 'sdk-cuts@example.com';
    const token = await tokenFor(email);
    const direct = createClient({ baseUrl: p.url, token });
    const retry = { baseMs: 2, maxMs: 30, streamAttempts: 1000 };
    // In Node the client reads streams with node:http, unless it is given a fetch: half the readers each way.
    const readers = [createClient({ baseUrl: proxy.url, token, retry }), createClient({ baseUrl: proxy.url, token, retry, fetch: globalThis.fetch })];
    let turns = 0;
    for (let round = 0; proxy.cuts < 1000; round++) {
      expect(round).toBeLessThan(40);
      await Promise.all(
        Array.from({ length: 10 }, async (_, k) => {
          const message = `r${round}k${k}`;
          const { turn_id } = await direct.turns.create({ user_message: message });
          // Read while it streams, through the cuts; then the same turn read cleanly, to compare.
          const cut = await all(readers[k % 2].turns.events(turn_id));
          const clean = await all(direct.turns.events(turn_id));
          expect(cut).toEqual(clean);
          expect(cut.map((e) => Number(e.id))).toEqual(Array.from({ length: cut.length }, (_, i) => i + 1));
          expect(cut.at(-1)?.event).toBe('end');
          const text = cut.map((e) => (e.event === 'content' ? (e.data.delta ?? e.data.text ?? '') : '')).join('');
          expect(text).toBe(answerOf(message));
          turns++;
        }),
      );
    }
    expect(proxy.cuts).toBeGreaterThanOrEqual(1000);
    expect(turns).toBeGreaterThanOrEqual(10);
    // A thousand reconnects and their replays: on a machine busy with the rest of the suite this takes a while.
  }, 240_000);

  it('turns.answer through the cuts: the exact answer text, for each of several turns', async () => {
    const email = 'sdk-cuts-answer@example.com';
    const token = await tokenFor(email);
    const direct = createClient({ baseUrl: p.url, token });
    const flaky = createClient({ baseUrl: proxy.url, token, retry: { baseMs: 2, maxMs: 30, streamAttempts: 1000 } });
    const cutsBefore = proxy.cuts;
    const messages = Array.from({ length: 10 }, (_, i) => `answer${i}`);
    const answers = await Promise.all(
      messages.map(async (m) => {
        const { turn_id } = await direct.turns.create({ user_message: m });
        return flaky.turns.answer(turn_id);
      }),
    );
    expect(answers).toEqual(messages.map(answerOf));
    expect(proxy.cuts).toBeGreaterThan(cutsBefore + 10);
  });
});

describe('the client in a 503 storm', () => {
  let db: { url: string; drop: () => Promise<void> };
  let dbProxy: TcpProxy;
  let p: PipelineApp | undefined;
  afterEach(async () => {
    await p?.app.close();
    p = undefined;
  });
  beforeAll(async () => {
    db = await isolatedDatabase();
    const target = new URL(db.url);
    dbProxy = new TcpProxy(target.hostname, Number(target.port));
    await dbProxy.start();
  });
  afterAll(async () => {
    await dbProxy?.stop();
    await db?.drop();
  });
  const viaProxy = () => {
    const u = new URL(db.url);
    u.host = `127.0.0.1:${dbProxy.port}`;
    return u.toString();
  };

  it('more turns than the instance may run: each client waits Retry-After and gets in; each turn stored once, each answer whole', async () => {
    p = await startPipelineApp({ DATABASE_URL: viaProxy(), PALIADIN_MAX_LIVE_TURNS: '2', PALIADIN_MAX_INFLIGHT_PER_USER: '100' });
    p.backend.script = (req) => [
      { delay: 30, event: { type: 'chunk', text: `Antwort ` } },
      { delay: 30, event: { type: 'done', response: `Antwort ${req.message}` } },
    ];
    const email = 'sdk-storm@example.com';
    const token = await tokenFor(email);
    // Every answer the clients got, per client, in order, with its time.
    const seen = new Map<number, { status: number; at: number }[]>();
    const clientFor = (i: number): PaliadinClient =>
      createClient({
        baseUrl: p!.url,
        token,
        retry: { attempts: 30 },
        fetch: async (input, init) => {
          const res = await fetch(input, init);
          if (init?.method === 'POST') seen.set(i, [...(seen.get(i) ?? []), { status: res.status, at: Date.now() }]);
          return res;
        },
      });
    const messages = Array.from({ length: 12 }, (_, i) => `storm${i}`);
    const answers = await Promise.all(
      messages.map(async (m, i) => {
        const c = clientFor(i);
        const { turn_id } = await c.turns.create({ user_message: m, session_id: `storm-${i}` });
        return c.turns.answer(turn_id);
      }),
    );
    expect(answers).toEqual(messages.map((m) => `Antwort ${m}`));
    const tries = [...seen.values()];
    // It was a storm: most clients were turned away at least once.
    expect(tries.filter((t) => t.some((x) => x.status === 503)).length).toBeGreaterThanOrEqual(6);
    for (const t of tries) {
      expect(t.at(-1)?.status).toBe(200);
      expect(t.slice(0, -1).every((x) => x.status === 503)).toBe(true);
      // Retry-After (2 s) was waited each time.
      for (let k = 1; k < t.length; k++) expect(t[k].at - t[k - 1].at).toBeGreaterThanOrEqual(1900);
    }
    // Each turn stored once: no retry made a second one.
    const rows: { user_message: string; n: number }[] = await p.app
      .get(DataSource)
      .query(`SELECT user_message, count(*)::int AS n FROM paliadin_turns WHERE user_message LIKE 'storm%' GROUP BY user_message`);
    expect(rows.map((r) => r.n)).toEqual(messages.map(() => 1));
  });

  it('the database gone when a stream is opened: 503s, each waited for its Retry-After, then the whole stream once it is back', async () => {
    p = await startPipelineApp({ DATABASE_URL: viaProxy() });
    p.backend.script = () => [
      { delay: 5, event: { type: 'chunk', text: 'eins ' } },
      { delay: 5, event: { type: 'chunk', text: 'zwei' } },
      { delay: 5, event: { type: 'done', response: 'eins zwei' } },
    ];
    const token = await tokenFor('sdk-outage@example.com');
    const direct = createClient({ baseUrl: p.url, token });
    const { turn_id } = await direct.turns.create({ user_message: 'outage' });
    expect(await direct.turns.answer(turn_id)).toBe('eins zwei');
    const answers: { status: number; at: number }[] = [];
    const c = createClient({
      baseUrl: p.url,
      token,
      fetch: async (input, init) => {
        const res = await fetch(input, init);
        answers.push({ status: res.status, at: Date.now() });
        return res;
      },
    });
    // A finished turn's stream is read from the database: without it, the service says 503, try again later.
    dbProxy.cut();
    const states: string[] = [];
    const reading = all(c.turns.events(turn_id, { onState: (s) => states.push(s) }));
    try {
      await waitUntil(() => answers.filter((a) => a.status === 503).length >= 2, 15_000, 'two 503s while the database is gone');
    } finally {
      dbProxy.restore();
    }
    const events = await reading;
    expect(events.map((e) => `${e.id}:${e.event}`)).toEqual(['1:meta', '2:content', '3:content', '4:end']);
    expect(answers.at(-1)?.status).toBe(200);
    for (let k = 1; k < answers.length; k++) expect(answers[k].at - answers[k - 1].at).toBeGreaterThanOrEqual(1900);
    expect(states).toContain('reconnecting');
  });
});
