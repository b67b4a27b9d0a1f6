import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import type { StoredTurnEvent, TurnStreamEvent } from '../contract/stream-events.js';
import { isPermanentDbError } from '../database/db-errors.js';
import { withDbRetry } from '../database/db-retry.js';
import { PgListener } from '../database/pg-listener.js';
import { INTEREST_CHANNEL, MAX_EVENTS_PER_ROW, TurnEventLog, type TurnEventBatch } from './turn-event-log.js';
import { storedForm } from './turn-event-rows.js';
import { MetricsService } from '../metrics/metrics.service.js';

// One statement carries at most this many events; the rest go in the next one.
const MAX_EVENTS_PER_FLUSH = 20_000;

/** What a running turn writes its events through. */
export interface TurnEventSink {
  /** Numbers the event and queues it; it is stored (and only then seen) shortly after. */
  append(ev: TurnStreamEvent): void;
  /** The agent's conversation id (aichat): goes on the turn's row with the next flush, for late-answer recovery. */
  noteConversation(id: string): void;
  /** Resolves once everything appended so far is stored, or storing stopped for good (see `state`). */
  flush(): Promise<void>;
  /**
   * writing: all is well. refused: the turn was finished elsewhere (a cancel
   * on another instance, the janitor). failed: the database would not take
   * the events within PALIADIN_DB_RETRY_MS, or refused them outright.
   * Whatever is stored is always a gap-free prefix of what was appended.
   */
  readonly state: 'writing' | 'refused' | 'failed';
  /** How many rows the turn's events took so far (compaction skips turns with few, or full ones). */
  readonly rows: number;
  /** The highest seq stored so far. */
  readonly stored: number;
  /** The run is over: forget the turn. */
  close(): void;
}

interface Taken {
  q: TurnQueue;
  events: StoredTurnEvent[];
  conversationId?: string;
}

export interface SinkHandlers {
  onRefused: () => void;
  onFailed: () => void;
}

class TurnQueue implements TurnEventSink {
  pending: StoredTurnEvent[] = [];
  state: 'writing' | 'refused' | 'failed' = 'writing';
  rows = 0;
  inFlight = false;
  /** The highest seq stored. */
  stored: number;
  /** Some other instance follows this turn live: its flushes NOTIFY (docs/event-log.md). */
  followed = false;
  /** The next flush must NOTIFY even without events: a follower just arrived. */
  ackDue = false;
  /** A conversation id the next flush stores. */
  conversationDue?: string;
  private waiters: (() => void)[] = [];

  constructor(
    readonly turnId: string,
    private seq: number,
    readonly handlers: SinkHandlers,
    private readonly writer: TurnEventWriter,
  ) {
    this.stored = seq;
  }

  append(ev: TurnStreamEvent): void {
    if (this.state !== 'writing') return;
    const stored = storedForm(ev);
    this.pending.push({ kind: stored.kind, data: stored.data, seq: ++this.seq } as StoredTurnEvent);
    this.writer.schedule(this);
  }

  noteConversation(id: string): void {
    if (this.state !== 'writing') return;
    this.conversationDue = id;
    this.writer.schedule(this);
  }

  flush(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  close(): void {
    this.stop(this.state === 'writing' ? 'refused' : this.state);
    this.writer.forget(this);
  }

  get idle(): boolean {
    return this.pending.length === 0 && !this.inFlight && !this.ackDue && this.conversationDue === undefined;
  }

  /** Wakes flush() callers once nothing is pending or in flight. */
  settleWaiters(): void {
    if (!this.idle) return;
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach((w) => w());
  }

  stop(state: 'refused' | 'failed'): void {
    this.state = state;
    this.pending = [];
    this.inFlight = false;
    this.ackDue = false;
    this.conversationDue = undefined;
    this.settleWaiters();
  }
}

/**
 * The one writer of this instance's running turns. Events of every turn
 * queue here; one flush at a time stores whatever is pending across all
 * turns in a single statement, so 2,000 live turns cost a few round trips
 * per tick rather than one each, and a burst of tokens lands in a few rows.
 * A flush that fails for a passing reason (no pool slot, connection lost) is
 * retried, the same events at the same seqs, until PALIADIN_DB_RETRY_MS has
 * passed; then its turns are given up (`failed`). A statement that is refused
 * outright is split per turn, so one bad turn never holds up the others.
 *
 * A flush NOTIFYs only for turns that a reader on another instance follows
 * (it said so on INTEREST_CHANNEL): readers here get the events from the
 * log directly, and a NOTIFY nobody needs costs every commit a lock and a
 * wake-up of every listening connection.
 */
@Injectable()
export class TurnEventWriter implements OnModuleInit {
  private readonly logger = new Logger(TurnEventWriter.name);
  private readonly dirty = new Set<TurnQueue>();
  /** The turns this instance writes, by id. */
  private readonly writing = new Map<string, TurnQueue>();
  private draining = false;

  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    private readonly log: TurnEventLog,
    private readonly listener: PgListener,
    private readonly metrics: MetricsService,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.listener.listen(INTEREST_CHANNEL, (turnId) => this.followed(turnId));
    // Interest announced while this instance's LISTEN connection was down is lost: assume every turn is followed.
    this.listener.onReconnect(() => this.writing.forEach((_, turnId) => this.followed(turnId)));
  }

  /** A sink for one turn whose stored events end at `lastSeq`. */
  open(turnId: string, lastSeq: number, handlers: SinkHandlers): TurnEventSink {
    const q = new TurnQueue(turnId, lastSeq, handlers, this);
    this.writing.set(turnId, q);
    return q;
  }

  /** Whether this instance writes the turn's events (its readers then need no NOTIFY). */
  writes(turnId: string): boolean {
    return this.writing.has(turnId);
  }

  forget(q: TurnQueue): void {
    if (this.writing.get(q.turnId) === q) this.writing.delete(q.turnId);
  }

  /**
   * A reader elsewhere follows the turn: from now on its flushes NOTIFY, and
   * the next flush does even without events, after any flush in flight (that
   * one went without, and the reader may have read the table before it
   * committed). A turn that is ending NOTIFYs with its closing events anyway.
   */
  private followed(turnId: string): void {
    const q = this.writing.get(turnId);
    if (q?.state !== 'writing' || q.followed) return;
    q.followed = true;
    q.ackDue = true;
    this.schedule(q);
  }

  schedule(q: TurnQueue): void {
    this.dirty.add(q);
    if (this.draining) return;
    this.draining = true;
    void this.drain();
  }

  private async drain(): Promise<void> {
    // Let the current burst of synchronous appends join this flush.
    await Promise.resolve();
    try {
      while (this.dirty.size > 0) {
        const taken: Taken[] = [];
        let room = MAX_EVENTS_PER_FLUSH;
        for (const q of this.dirty) {
          if (room <= 0) break;
          const events = q.pending.splice(0, room);
          room -= events.length;
          if (q.pending.length === 0) this.dirty.delete(q);
          if ((events.length === 0 && !q.ackDue && q.conversationDue === undefined) || q.state !== 'writing') continue;
          taken.push({ q, events, conversationId: q.conversationDue });
          q.inFlight = true;
          q.ackDue = false;
          q.conversationDue = undefined;
        }
        if (taken.length > 0) await this.store(taken);
        for (const { q } of taken) {
          q.inFlight = false;
          q.settleWaiters();
        }
      }
    } catch (e) {
      // store() handles every database failure; this is a bug, logged rather than left unhandled.
      this.logger.error({ err: e }, 'event writer failed');
    } finally {
      this.draining = false;
      // Left over after a failed drain: drain again.
      if (this.dirty.size > 0) {
        this.draining = true;
        void this.drain();
      }
    }
  }

  private async store(taken: Taken[]): Promise<void> {
    const retryMs = this.config.env.PALIADIN_DB_RETRY_MS;
    // The turns still writing when the last attempt began (one may end while a retry waits).
    let live = taken;
    try {
      await withDbRetry(
        retryMs,
        async () => {
          live = taken.filter((t) => t.q.state === 'writing');
          if (live.length > 0) await this.insert(live);
        },
        (e, backoff) => this.logger.warn(`storing turn events failed (${(e as Error).message}); retrying in ${backoff} ms`),
      );
    } catch (e) {
      if (!isPermanentDbError(e)) {
        this.logger.error({ err: e, turns: live.length }, `could not store turn events for ${retryMs} ms; giving those turns up`);
        live.forEach((t) => this.giveUp(t.q, 'failed'));
      } else if (live.length > 1) {
        // Find the turn the database refuses by storing each on its own.
        for (const t of live) await this.store([t]);
      } else {
        this.logger.error({ err: e, turnId: live[0].q.turnId }, "the database refused this turn's events");
        this.giveUp(live[0].q, 'failed');
      }
    }
  }

  /** One flush's statement; the turns it finds no longer open (finished elsewhere) are given up as refused. */
  private async insert(live: Taken[]): Promise<void> {
    const batches: TurnEventBatch[] = live
      .filter((t) => t.events.length > 0 || t.conversationId !== undefined)
      .map((t) => ({ turnId: t.q.turnId, events: t.events, conversationId: t.conversationId }));
    const notify = live.filter((t) => t.q.followed).map((t): [string, number] => [t.q.turnId, t.events.at(-1)?.seq ?? t.q.stored]);
    const { open } = await this.log.insertBatches(batches, notify);
    for (const t of live) {
      if (t.events.length === 0) continue;
      if (!open.has(t.q.turnId)) this.giveUp(t.q, 'refused');
      else {
        t.q.stored = t.events[t.events.length - 1].seq;
        t.q.rows += Math.ceil(t.events.length / MAX_EVENTS_PER_ROW);
        this.metrics.eventsStored.inc(t.events.length);
      }
    }
  }

  private giveUp(q: TurnQueue, state: 'refused' | 'failed'): void {
    if (q.state !== 'writing') return;
    this.dirty.delete(q);
    q.stop(state);
    try {
      if (state === 'refused') q.handlers.onRefused();
      else q.handlers.onFailed();
    } catch (e) {
      this.logger.error({ err: e, turnId: q.turnId }, 'a turn failed to take its write outcome');
    }
  }
}
