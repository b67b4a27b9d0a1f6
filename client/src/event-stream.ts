import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { retryAfterMs, retryDelay, sleep } from './backoff.js';
import { PaliadinError } from './errors.js';
import type { Http } from './http.js';
import { settle, type OpenedStream } from './stream-transport.js';

/** One event of a stream whose data types are `M` (by event name): narrow it by `event`. */
export type StreamEvent<M> = { [K in keyof M & string]: { event: K; id: string; data: M[K] } }[keyof M & string];

export interface EventsOptions {
  /** Start after this event (the id of the last one you have); from the beginning when absent. */
  lastEventId?: string;
  /** Stops the stream: the iterator ends quietly. */
  signal?: AbortSignal;
  /** Told when the connection is open, and when it dropped and is being had back. */
  onState?: (state: 'open' | 'reconnecting', detail?: { attempt: number; error?: unknown }) => void;
}

/** What differs between the turn stream and the session stream. */
export interface StreamShape {
  /** The event names the stream's type knows; others are skipped (new kinds are additions). */
  names: readonly string[];
  /** Orders two ids: negative when `a` came before `b`. */
  compare(a: string, b: string): number;
  /**
   * Whether the stream is over after this event: `now`; `on-close` when the
   * server's closing the stream after it is the end, not a drop (an ended
   * session's stream may still bring a late answer before it closes).
   */
  ends(event: string, data: unknown): 'now' | 'on-close' | false;
  /**
   * A stream of snapshots without ids (the terminal's screen): nothing to
   * resume from, so a reconnect starts with things as they are now, and the
   * server closing the stream is its end.
   */
  unnumbered?: boolean;
}

/**
 * Reads a Server-Sent Events route of the service and goes on reading it
 * through any drop: after a dropped connection, a 5xx, or a close before
 * the end, it asks again with `Last-Event-ID` set to the last id it yielded
 * (the service then sends every later event exactly once), waiting a
 * bounded, jittered, growing time between tries, or the `Retry-After` of a
 * 503. It yields each event once, in order, skips `ping` and events it does
 * not know, and ends after the stream's last event. A 4xx is final: a
 * PaliadinError. So is a stream that stays away for `retry.streamAttempts`
 * tries in a row.
 */
export function resumingEvents<M>(http: Http, path: string, shape: StreamShape, o: EventsOptions = {}): AsyncGenerator<StreamEvent<M>, void, undefined> {
  return new OneByOne(resumingBatches<M>(http, path, shape, o), o.signal);
}

/** resumingEvents' work: the events of each read from the connection, as one array per read. */
async function* resumingBatches<M>(http: Http, path: string, shape: StreamShape, o: EventsOptions): AsyncGenerator<StreamEvent<M>[], void, undefined> {
  const known = new Set(shape.names);
  let last = o.lastEventId;
  let overOnClose = false;
  for (let failures = 0; ;) {
    if (o.signal?.aborted) return;
    if (failures > 0) {
      if (failures >= http.retry.streamAttempts) throw new PaliadinError(0, 'NETWORK', `${path}: the stream could not be had back after ${failures} tries`);
      o.onState?.('reconnecting', { attempt: failures });
    }
    let res: OpenedStream;
    try {
      const headers = await http.headers({ Accept: 'text/event-stream', ...(last !== undefined ? { 'Last-Event-ID': last } : {}) });
      res = await http.openStream(path, headers, o.signal);
    } catch {
      if (o.signal?.aborted) return;
      await sleep(retryDelay(http.retry, failures++), o.signal);
      continue;
    }
    if (res.status >= 500) {
      res.cancel();
      await sleep(retryDelay(http.retry, failures++, res.status === 503 ? retryAfterMs(res) : undefined), o.signal);
      continue;
    }
    if (res.status < 200 || res.status > 299) throw await PaliadinError.fromResponse(res);
    o.onState?.('open', { attempt: failures });

    const parsed: EventSourceMessage[] = [];
    const parser = createParser({ onEvent: (m) => parsed.push(m) });
    let closed = false;
    try {
      for (;;) {
        let chunk: IteratorResult<string, undefined>;
        try {
          chunk = await res.read();
        } catch {
          break; // dropped: read again from `last`
        }
        if (chunk.done) {
          closed = true;
          break;
        }
        parser.feed(chunk.value);
        const batch: StreamEvent<M>[] = [];
        let over = false;
        for (const m of parsed.splice(0)) {
          if (shape.unnumbered) {
            if (!m.event || !known.has(m.event)) continue;
            failures = 0;
            batch.push({ event: m.event, id: '', data: (m.data ? JSON.parse(m.data) : {}) as unknown } as StreamEvent<M>);
            continue;
          }
          // Pings and anything else without an id are not stored events: nothing to resume from.
          if (m.id === undefined || m.id === '' || !m.event) continue;
          if (last !== undefined && shape.compare(m.id, last) <= 0) continue;
          last = m.id;
          failures = 0;
          if (!known.has(m.event)) continue;
          const data: unknown = m.data ? JSON.parse(m.data) : {};
          batch.push({ event: m.event, id: m.id, data } as StreamEvent<M>);
          const ends = shape.ends(m.event, data);
          if (ends === 'now') {
            over = true;
            break;
          }
          if (ends === 'on-close') overOnClose = true;
        }
        if (batch.length > 0) yield batch;
        if (over) return;
      }
    } finally {
      // Also when the caller stops early (break, return): the connection is let go.
      res.cancel();
    }
    if (o.signal?.aborted) return;
    if (closed && (overOnClose || shape.unnumbered)) return;
    await sleep(retryDelay(http.retry, failures++), o.signal);
  }
}

/**
 * A generator of the events of a generator of arrays of events, one at a
 * time. An async generator's `yield` costs several promise turns, and one
 * per event was most of what reading a fast stream cost; here an event of
 * the array at hand costs one resolved promise, and the next array is asked
 * for when this one is used up. Calls are served in order, as a
 * generator's; return() and throw() go on to the generator of arrays (its
 * `finally` lets the connection go).
 */
class OneByOne<T> implements AsyncGenerator<T, void, undefined> {
  private batch: T[] = [];
  private next_ = 0;
  /** Calls not yet settled, and the latest of them: a call waits for the ones before it. */
  private calls = 0;
  private latest: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly batches: AsyncGenerator<T[], void, undefined>,
    /** Once aborted, events already read are not handed out: the stream is over. */
    private readonly signal?: AbortSignal,
  ) {}

  next(): Promise<IteratorResult<T, void>> {
    if (this.signal?.aborted) return this.return();
    if (this.calls === 0 && this.next_ < this.batch.length) return Promise.resolve({ done: false, value: this.batch[this.next_++] });
    return this.inTurn(async () => {
      while (this.next_ >= this.batch.length) {
        const r = await this.batches.next();
        if (r.done) return { done: true, value: undefined };
        this.batch = r.value;
        this.next_ = 0;
      }
      return { done: false, value: this.batch[this.next_++] };
    });
  }

  return(): Promise<IteratorResult<T, void>> {
    return this.inTurn(async () => {
      this.batch = [];
      await this.batches.return();
      return { done: true, value: undefined };
    });
  }

  throw(e: unknown): Promise<IteratorResult<T, void>> {
    return this.inTurn(async () => {
      this.batch = [];
      await this.batches.throw(e);
      return { done: true, value: undefined };
    });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Runs `step` once the calls before it have settled. */
  private inTurn<R>(step: () => Promise<R>): Promise<R> {
    const run = async () => {
      try {
        return await step();
      } finally {
        this.calls--;
      }
    };
    const call = this.calls++ > 0 ? this.latest.then(run, run) : run();
    this.latest = call;
    return call;
  }
}

// `await using` where the runtime has it: as with a generator, leaving the block stops the stream.
const asyncDispose = (Symbol as { asyncDispose?: symbol }).asyncDispose;
if (asyncDispose)
  Object.defineProperty(OneByOne.prototype, asyncDispose, {
    value(this: OneByOne<unknown>) {
      return this.return().then(settle);
    },
  });
