import { Inject, Injectable, Logger } from '@nestjs/common';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { AppConfig } from '../config/app-config.js';
import type { StoredTurnEvent, TurnStreamEvent } from '../contract/stream-events.js';
import { isPermanentDbError } from '../database/db-errors.js';
import { MAX_EVENTS_PER_ROW, TurnEventLog, type TurnEventBatch } from './turn-event-log.js';
import { storedForm } from './turn-event-rows.js';
import { MetricsService } from '../metrics/metrics.service.js';

// One statement carries at most this many events; the rest go in the next one.
const MAX_EVENTS_PER_FLUSH = 20_000;
const FIRST_BACKOFF_MS = 20;
const MAX_BACKOFF_MS = 1_000;

/** What a running turn writes its events through. */
export interface TurnEventSink {
  /** Numbers the event and queues it; it is stored (and only then seen) shortly after. */
  append(ev: TurnStreamEvent): void;
  /** Resolves once everything appended so far is stored, or storing stopped for good (see `state`). */
  flush(): Promise<void>;
  /**
   * writing: all is well. refused: the turn was finished elsewhere (a cancel
   * on another instance, the janitor). failed: the database would not take
   * the events within PALIADIN_DB_RETRY_MS, or refused them outright.
   * Whatever is stored is always a gap-free prefix of what was appended.
   */
  readonly state: 'writing' | 'refused' | 'failed';
  /** How many rows the turn's events took so far (compaction skips turns with few). */
  readonly rows: number;
  /** The run is over: forget the turn. */
  close(): void;
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
  private waiters: (() => void)[] = [];

  constructor(
    readonly turnId: string,
    private seq: number,
    readonly handlers: SinkHandlers,
    private readonly writer: TurnEventWriter,
  ) {}

  append(ev: TurnStreamEvent): void {
    if (this.state !== 'writing') return;
    this.pending.push({ ...storedForm(ev), seq: ++this.seq });
    this.writer.schedule(this);
  }

  flush(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  close(): void {
    this.stop(this.state === 'writing' ? 'refused' : this.state);
  }

  get idle(): boolean {
    return this.pending.length === 0 && !this.inFlight;
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
 */
@Injectable()
export class TurnEventWriter {
  private readonly logger = new Logger(TurnEventWriter.name);
  private readonly dirty = new Set<TurnQueue>();
  private draining = false;

  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    private readonly log: TurnEventLog,
    private readonly metrics: MetricsService,
  ) {}

  /** A sink for one turn whose stored events end at `lastSeq`. */
  open(turnId: string, lastSeq: number, handlers: SinkHandlers): TurnEventSink {
    return new TurnQueue(turnId, lastSeq, handlers, this);
  }

  schedule(q: TurnQueue): void {
    this.dirty.add(q);
    if (this.draining) return;
    this.draining = true;
    void this.drain();
  }

  private async drain(): Promise<void> {
    // Let the current burst of synchronous appends join this flush.
    await nextTurn();
    try {
      while (this.dirty.size > 0) {
        const taken: { q: TurnQueue; events: StoredTurnEvent[] }[] = [];
        let room = MAX_EVENTS_PER_FLUSH;
        for (const q of this.dirty) {
          if (room <= 0) break;
          const events = q.pending.splice(0, room);
          room -= events.length;
          if (q.pending.length === 0) this.dirty.delete(q);
          if (events.length === 0 || q.state !== 'writing') continue;
          q.inFlight = true;
          taken.push({ q, events });
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

  private async store(taken: { q: TurnQueue; events: StoredTurnEvent[] }[]): Promise<void> {
    const started = Date.now();
    for (let backoff = FIRST_BACKOFF_MS; ; backoff = Math.min(backoff * 2, MAX_BACKOFF_MS)) {
      const live = taken.filter((t) => t.q.state === 'writing');
      if (live.length === 0) return;
      try {
        const batches: TurnEventBatch[] = live.map((t) => ({ turnId: t.q.turnId, events: t.events }));
        const { open } = await this.log.insertBatches(batches);
        for (const t of live) {
          if (!open.has(t.q.turnId)) this.giveUp(t.q, 'refused');
          else {
            t.q.rows += Math.ceil(t.events.length / MAX_EVENTS_PER_ROW);
            this.metrics.eventsStored.inc(t.events.length);
          }
        }
        return;
      } catch (e) {
        if (isPermanentDbError(e)) {
          if (live.length > 1) {
            // Find the turn the database refuses by storing each on its own.
            for (const t of live) await this.store([t]);
            return;
          }
          this.logger.error({ err: e, turnId: live[0].q.turnId }, "the database refused this turn's events");
          this.giveUp(live[0].q, 'failed');
          return;
        }
        if (Date.now() - started >= this.config.env.PALIADIN_DB_RETRY_MS) {
          this.logger.error(
            { err: e, turns: live.length },
            `could not store turn events for ${this.config.env.PALIADIN_DB_RETRY_MS} ms; giving those turns up`,
          );
          live.forEach((t) => this.giveUp(t.q, 'failed'));
          return;
        }
        this.logger.warn(`storing turn events failed (${(e as Error).message}); retrying in ${backoff} ms`);
        await sleep(backoff);
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
