import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PgListener } from '../../src/database/pg-listener.js';
import { TurnFeeds } from '../../src/paliadin/turn-feeds.js';
import type { Step } from '../support/scripted-backend.js';
import type { SseEvent } from '../support/sse-client.js';
import { startPipelineApp, type PipelineApp } from '../support/pipeline-app.js';
import { waitUntil } from '../support/wait.js';

/** A streaming turn of n chunks (multi-byte text included) spread over time. */
function slowTurn(n: number, delay: number): Step[] {
  const chunks: Step[] = Array.from({ length: n }, (_, i) => ({ delay, event: { type: 'chunk', text: `Stück ${i} — ✓ ` } }));
  return [...chunks, { delay, event: { type: 'done', response: 'whole' } }];
}

const key = (e: SseEvent) => `${e.id}|${e.event}|${JSON.stringify(e.data)}`;
const stored = (events: SseEvent[]) => events.filter((e) => e.event !== 'ping');

describe('resuming a stream', () => {
  let p: PipelineApp;
  beforeAll(async () => {
    p = await startPipelineApp();
  });
  afterAll(() => p.app.close());

  it('reconnecting after every event, while the turn runs, yields the full read exactly once', async () => {
    p.backend.script = () => slowTurn(12, 15);
    const email = 'resume@example.com';
    const id = await p.ask(email);
    const union: SseEvent[] = [];
    let last: string | undefined;
    for (let guard = 0; guard < 100; guard++) {
      const part = await p.read(email, id, { lastEventId: last, stopAfterEvents: 1 });
      const got = stored(part.events);
      union.push(...got);
      if (got.length) last = got.at(-1)!.id;
      if (part.ended || got.at(-1)?.event === 'end') break;
    }
    const full = stored((await p.read(email, id)).events);
    expect(full.at(-1)!.event).toBe('end');
    expect(union.map(key)).toEqual(full.map(key));
    expect(full.map((e) => Number(e.id))).toEqual(full.map((_, i) => i + 1));
  });

  it('cutting the connection at any byte, mid-event included, then resuming, loses nothing and duplicates nothing', async () => {
    p.backend.script = () => slowTurn(6, 0);
    const email = 'midcut@example.com';
    const id = await p.ask(email);
    const full = stored((await p.read(email, id)).events);
    const raw = await fetch(`${p.url}/api/paliadin/stream/${id}`, { headers: { Authorization: await p.auth(email) } }).then((r) => r.arrayBuffer());
    expect(full.at(-1)!.event).toBe('end');
    for (let cut = 1; cut < raw.byteLength; cut++) {
      const first = await p.read(email, id, { stopAfterBytes: cut });
      const got = stored(first.events);
      const rest = await p.read(email, id, { lastEventId: got.at(-1)?.id });
      expect({ cut, events: [...got, ...stored(rest.events)].map(key) }).toEqual({ cut, events: full.map(key) });
    }
  });

  it('many readers of one turn on one instance share a single subscription', async () => {
    p.backend.script = () => [{ event: { type: 'chunk', text: 'held ' } }, { delay: 100_000, event: { type: 'done', response: 'never' } }];
    const email = 'fanout@example.com';
    const id = await p.ask(email);
    const feeds = p.app.get(TurnFeeds);
    const reads = Array.from({ length: 5 }, () => p.read(email, id));
    await waitUntil(() => feeds.stats().readers === 5, 10_000, 'five readers');
    expect(feeds.stats()).toEqual({ feeds: 1, readers: 5 });
    await p
      .http()
      .post(`/api/paliadin/turns/${id}/cancel`)
      .set('Authorization', await p.auth(email));
    const results = await Promise.all(reads);
    const first = stored(results[0].events).map(key);
    for (const r of results) expect(stored(r.events).map(key)).toEqual(first);
    expect(feeds.stats()).toEqual({ feeds: 0, readers: 0 });
  });

  it('a lost LISTEN connection is re-established and readers re-read what they missed', async () => {
    p.backend.script = () => slowTurn(10, 25);
    const email = 'relisten@example.com';
    const id = await p.ask(email);
    const reading = p.read(email, id);
    await new Promise((r) => setTimeout(r, 60));
    p.app.get(PgListener).simulateConnectionLoss();
    const read = await reading;
    const full = stored((await p.read(email, id)).events);
    expect(full.at(-1)!.event).toBe('end');
    expect(stored(read.events).map(key)).toEqual(full.map(key));
    expect(p.app.get(PgListener).connected).toBe(true);
  });

  it('1,000 connect/disconnect cycles leave no subscription or listener behind', async () => {
    p.backend.script = () => [{ delay: 100_000, event: { type: 'done', response: 'never' } }];
    const email = 'leak@example.com';
    const id = await p.ask(email);
    const feeds = p.app.get(TurnFeeds);
    const server = p.app.getHttpServer() as import('node:http').Server;
    const baseline = {
      feeds: feeds.stats(),
      listeners: server.listenerCount('request') + server.listenerCount('connection'),
      handles: process.listenerCount('exit'),
    };
    for (let i = 0; i < 1000; i += 20) {
      await Promise.all(Array.from({ length: 20 }, () => p.read(email, id, { stopAfterEvents: 1 })));
    }
    // Disconnects are noticed asynchronously by the server; wait (bounded) for the last ones to be released.
    await waitUntil(() => feeds.stats().readers === baseline.feeds.readers, 10_000, 'readers released').catch(() => undefined);
    expect(feeds.stats()).toEqual(baseline.feeds);
    expect(server.listenerCount('request') + server.listenerCount('connection')).toBe(baseline.listeners);
    expect(process.listenerCount('exit')).toBe(baseline.handles);
    await p
      .http()
      .post(`/api/paliadin/turns/${id}/cancel`)
      .set('Authorization', await p.auth(email));
  });
});
