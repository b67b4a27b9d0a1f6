import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { Observable, Subject } from 'rxjs';
import { isTerminal, type StoredTurnEvent } from '../contract/stream-events.js';
import { PgListener } from '../database/pg-listener.js';
import { EVENTS_CHANNEL, TurnEventLog } from './turn-event-log.js';

/**
 * One live subscription per turn on this instance, shared by all its SSE
 * readers. It learns of new events from NOTIFY (which carries ids only) and
 * reads them from the table, so any instance can serve any turn's stream.
 */
class TurnFeed {
  readonly events$ = new Subject<StoredTurnEvent>();
  readers = 0;
  private lastSeq = 0;
  private wanted = false;
  private fetching = false;
  readonly ready: Promise<void>;

  constructor(
    private readonly turnId: string,
    private readonly log: TurnEventLog,
    private readonly onError: (e: unknown) => void,
  ) {
    // Readers replay from the table after this, so nothing between the two can be missed.
    this.ready = log.maxSeq(turnId).then((s) => {
      this.lastSeq = Math.max(this.lastSeq, s);
    });
  }

  /** New events up to `seq` exist (or, with no seq, may exist: after a reconnect). */
  notify(seq?: number): void {
    if (seq !== undefined && seq <= this.lastSeq) return;
    this.wanted = true;
    void this.ready.then(() => this.fetch());
  }

  private async fetch(): Promise<void> {
    if (this.fetching) return;
    this.fetching = true;
    try {
      while (this.wanted) {
        this.wanted = false;
        const events = await this.log.read(this.turnId, this.lastSeq);
        for (const ev of events) {
          this.lastSeq = ev.seq;
          this.events$.next(ev);
        }
        if (events.length === 5000) this.wanted = true; // a page limit was hit: more to read
      }
    } catch (e) {
      this.onError(e);
      this.events$.error(e);
    } finally {
      this.fetching = false;
    }
  }
}

@Injectable()
export class TurnFeeds implements OnModuleInit {
  private readonly logger = new Logger(TurnFeeds.name);
  private readonly feeds = new Map<string, TurnFeed>();

  constructor(
    private readonly listener: PgListener,
    private readonly log: TurnEventLog,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.listener.listen(EVENTS_CHANNEL, (payload) => this.onNotification(payload));
    // Notifications sent while disconnected are lost: every open feed re-reads from its last seq.
    this.listener.onReconnect(() => this.feeds.forEach((f) => f.notify()));
  }

  /**
   * Every event of a turn after `afterSeq`, exactly once and in order: first
   * what is stored, then the live tail. Completes after a terminal event.
   */
  watch(turnId: string, afterSeq: number): Observable<StoredTurnEvent> {
    return new Observable<StoredTurnEvent>((sub) => {
      const feed = this.acquire(turnId);
      let delivered = afterSeq;
      let buffered: StoredTurnEvent[] | undefined = [];
      let closed = false;
      const deliver = (ev: StoredTurnEvent) => {
        if (closed || ev.seq <= delivered) return;
        delivered = ev.seq;
        sub.next(ev);
        if (isTerminal(ev.kind)) {
          closed = true;
          sub.complete();
        }
      };
      // Subscribe to the live feed first, then replay: events arriving meanwhile wait in `buffered`.
      const live = feed.events$.subscribe({
        next: (ev) => (buffered ? buffered.push(ev) : deliver(ev)),
        error: (e) => sub.error(e),
      });
      // The read starts at `afterSeq` itself: if that event was the terminal one and nothing
      // came after it (a late answer does), the client has the whole turn and the stream just closes.
      feed.ready
        .then(() => this.log.read(turnId, Math.max(afterSeq - 1, 0), Number.MAX_SAFE_INTEGER))
        .then((stored) => {
          if (stored.length === 1 && stored[0].seq === afterSeq && isTerminal(stored[0].kind)) {
            closed = true;
            return sub.complete();
          }
          stored.forEach(deliver);
          const held = buffered ?? [];
          buffered = undefined;
          held.forEach(deliver);
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

  private acquire(turnId: string): TurnFeed {
    let feed = this.feeds.get(turnId);
    if (!feed) {
      feed = new TurnFeed(turnId, this.log, (e) => this.logger.error({ err: e, turnId }, 'turn feed read failed'));
      this.feeds.set(turnId, feed);
    }
    feed.readers++;
    return feed;
  }

  private release(turnId: string, feed: TurnFeed): void {
    feed.readers--;
    if (feed.readers === 0 && this.feeds.get(turnId) === feed) {
      this.feeds.delete(turnId);
      feed.events$.complete();
    }
  }

  private onNotification(payload: string): void {
    let msg: { turn_id?: unknown; seq?: unknown };
    try {
      msg = JSON.parse(payload) as typeof msg;
    } catch {
      return;
    }
    if (typeof msg.turn_id === 'string' && typeof msg.seq === 'number') this.feeds.get(msg.turn_id)?.notify(msg.seq);
  }
}
