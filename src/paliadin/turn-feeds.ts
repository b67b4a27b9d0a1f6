import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { Observable, Subject, type Subscription } from 'rxjs';
import { isTerminal, type StoredTurnEvent } from '../contract/stream-events.js';
import { PgListener } from '../database/pg-listener.js';
import { EVENTS_CHANNEL, parseNotifyPayload, TurnEventLog } from './turn-event-log.js';
import { TurnEventWriter } from './turn-event-writer.js';
import { MetricsService } from '../metrics/metrics.service.js';

/**
 * One live subscription per turn on this instance, shared by all its SSE
 * readers. Events this instance stored arrive straight from the log after
 * their commit; events stored elsewhere are announced by NOTIFY (ids only)
 * and read from the table. Either way the feed passes on each seq once, in
 * order: anything that does not follow on from what it has (a gap) makes it
 * read the table instead. A feed of a live turn that another instance writes
 * tells that instance so (`follow`), which then NOTIFYs its flushes.
 */
class TurnFeed {
  /** Runs of new events, contiguous and ascending: one per commit or read, not one per event. */
  readonly events$ = new Subject<StoredTurnEvent[]>();
  readers = 0;
  /** The highest seq passed on (or stored when the feed began: its readers replay up to there). */
  private lastSeq?: number;
  private wanted = false;
  private fetching = false;
  /** Where the feed starts: readers replay from the table after this, so nothing between can be missed. */
  readonly ready: Promise<void>;

  /**
   * `firstRead` is the first reader's replay (every stored event after a
   * point, ascending): its last seq is the highest stored, so the feed needs
   * no read of its own. When it found nothing the feed starts at 0, which is
   * safe: starting low costs one more read of the table, starting high
   * would skip events. `follow`, for a turn written elsewhere, is called
   * once the replay shows it unfinished: what was committed between the
   * replay and the writer hearing of it comes with the writer's first NOTIFY.
   */
  constructor(
    private readonly turnId: string,
    private readonly log: TurnEventLog,
    firstRead: Promise<StoredTurnEvent[]>,
    follow: (() => Promise<void>) | undefined,
    private readonly onRead: () => void,
    private readonly onFailed: (e: unknown) => void,
  ) {
    this.ready = firstRead.then(async (events) => {
      this.lastSeq = Math.max(this.lastSeq ?? 0, events.at(-1)?.seq ?? 0);
      if (follow && !events.some((e) => isTerminal(e.kind))) await follow();
    });
    this.ready.catch((e: unknown) => this.fail(e));
  }

  /** Events this instance just committed (contiguous, ascending). */
  publish(events: StoredTurnEvent[]): void {
    if (this.fetching || (this.lastSeq !== undefined && events[0].seq > this.lastSeq + 1)) {
      // Something is missing (or a read is under way, which will return these too): read the table.
      this.notify(events[events.length - 1].seq);
      return;
    }
    this.pass(events);
  }

  /** New events up to `seq` exist (or, with no seq, may exist: after a reconnect). */
  notify(seq?: number): void {
    if (seq !== undefined && this.lastSeq !== undefined && seq <= this.lastSeq) return;
    this.wanted = true;
    this.ready.then(
      () => this.fetch(),
      () => undefined,
    );
  }

  private pass(events: StoredTurnEvent[]): void {
    if (events.length === 0) return;
    const last = this.lastSeq;
    const fresh = last === undefined || events[0].seq > last ? events : events.filter((ev) => ev.seq > last);
    if (fresh.length === 0) return;
    this.lastSeq = fresh[fresh.length - 1].seq;
    this.events$.next(fresh);
  }

  /** Never rejects: a failed read ends this feed's readers with an error (they reconnect and resume). */
  private async fetch(): Promise<void> {
    if (this.fetching) return;
    this.fetching = true;
    try {
      while (this.wanted) {
        this.wanted = false;
        this.onRead();
        const { events, more } = await this.log.read(this.turnId, this.lastSeq ?? 0);
        this.pass(events);
        if (more) this.wanted = true;
      }
    } catch (e) {
      this.fail(e);
    } finally {
      this.fetching = false;
    }
  }

  private fail(e: unknown): void {
    this.onFailed(e);
    this.events$.error(e);
  }
}

@Injectable()
export class TurnFeeds implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(TurnFeeds.name);
  private readonly feeds = new Map<string, TurnFeed>();
  private committed?: Subscription;
  /** Reads of the table for live events (not replays): the local fast path needs none. */
  liveReads = 0;

  constructor(
    private readonly listener: PgListener,
    private readonly log: TurnEventLog,
    private readonly writer: TurnEventWriter,
    private readonly metrics: MetricsService,
  ) {}

  async onModuleInit(): Promise<void> {
    this.metrics.provide('sseReaders', () => this.stats().readers);
    // The local fast path: readers here see an event right after its commit, without NOTIFY and a read.
    this.committed = this.log.committed$.subscribe(({ turnId, events, reread }) => {
      const feed = this.feeds.get(turnId);
      if (events.length > 0) feed?.publish(events);
      if (reread) feed?.notify();
    });
    await this.listener.listen(EVENTS_CHANNEL, (payload) => {
      const { origin, pairs } = parseNotifyPayload(payload);
      // Our own commits reached our readers through committed$ already.
      if (origin === this.log.instanceId) return;
      for (const [turnId, seq] of pairs) this.feeds.get(turnId)?.notify(seq);
    });
    // Notifications sent while disconnected are lost: every open feed re-reads from its last seq.
    this.listener.onReconnect(() => this.feeds.forEach((f) => f.notify()));
  }

  onModuleDestroy(): void {
    this.committed?.unsubscribe();
  }

  /**
   * Every event of a turn after `afterSeq`, exactly once and in order: first
   * what is stored, then the live tail. A turn whose stored events already
   * include a terminal one is replayed whole (a late answer comes after its
   * turn's error, so a fresh reader must see past the first terminal event)
   * and completes; a live one completes after its terminal event. Events
   * come in runs (ascending, never empty): a fast stream's thousands of
   * events a second cost its readers one call per commit, not one per event.
   */
  watch(turnId: string, afterSeq: number): Observable<StoredTurnEvent[]> {
    return new Observable<StoredTurnEvent[]>((sub) => {
      // The read starts at `afterSeq` itself, to learn whether the client's last event was terminal.
      const replay = () => this.log.readAll(turnId, Math.max(afterSeq - 1, 0));
      const { feed, firstRead } = this.acquire(turnId, replay);
      let delivered = afterSeq;
      let buffered: StoredTurnEvent[] | undefined = [];
      let closed = false;
      const deliver = (events: StoredTurnEvent[], live: boolean) => {
        if (closed) return;
        const fresh = events.length > 0 && events[0].seq > delivered ? events : events.filter((ev) => ev.seq > delivered);
        if (fresh.length === 0) return;
        // Live, a reading ends with the turn's terminal event.
        const end = live ? fresh.findIndex((ev) => isTerminal(ev.kind)) : -1;
        const run = end >= 0 ? fresh.slice(0, end + 1) : fresh;
        delivered = run[run.length - 1].seq;
        sub.next(run);
        if (end >= 0) {
          closed = true;
          sub.complete();
        }
      };
      // Subscribe to the live feed first, then replay: events arriving meanwhile wait in `buffered`.
      const live = feed.events$.subscribe({
        next: (events) => {
          if (!buffered) deliver(events, true);
          else for (const ev of events) buffered.push(ev);
        },
        error: (e: unknown) => sub.error(e),
      });
      // A new feed starts from this reader's replay; a feed already running is joined after it is ready.
      (firstRead ?? feed.ready.then(replay))
        .then((stored) => {
          if (closed) return;
          const finished = stored.some((e) => isTerminal(e.kind));
          deliver(stored, false);
          const held = buffered ?? [];
          buffered = undefined;
          if (finished) {
            deliver(held, false);
            closed = true;
            sub.complete();
            return;
          }
          deliver(held, true);
        })
        .catch((e: unknown) => sub.error(e));
      return () => {
        closed = true;
        live.unsubscribe();
        this.release(turnId, feed);
      };
    });
  }

  /** Open per-turn subscriptions and their readers (the leak test watches these). */
  stats(): { feeds: number; readers: number } {
    let readers = 0;
    this.feeds.forEach((f) => (readers += f.readers));
    return { feeds: this.feeds.size, readers };
  }

  private acquire(turnId: string, replay: () => Promise<StoredTurnEvent[]>): { feed: TurnFeed; firstRead?: Promise<StoredTurnEvent[]> } {
    let feed = this.feeds.get(turnId);
    let firstRead: Promise<StoredTurnEvent[]> | undefined;
    if (!feed) {
      firstRead = replay();
      const created = new TurnFeed(
        turnId,
        this.log,
        firstRead,
        this.writer.writes(turnId) ? undefined : () => this.log.follow(turnId),
        () => this.liveReads++,
        (e) => {
          this.logger.error({ err: e, turnId }, 'turn feed read failed');
          // A broken feed is dropped; the readers' reconnects get a fresh one.
          if (this.feeds.get(turnId) === created) this.feeds.delete(turnId);
        },
      );
      feed = created;
      this.feeds.set(turnId, feed);
    }
    feed.readers++;
    return { feed, firstRead };
  }

  private release(turnId: string, feed: TurnFeed): void {
    feed.readers--;
    if (feed.readers === 0) {
      if (this.feeds.get(turnId) === feed) this.feeds.delete(turnId);
      feed.events$.complete();
    }
  }
}
