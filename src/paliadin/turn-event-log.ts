import { randomUUID } from 'node:crypto';
import { Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Subject } from 'rxjs';
import { DataSource } from 'typeorm';
import { storableText } from '../contract/storable-text.js';
import type { ErrorData, StoredTurnEvent, TurnStreamEvent } from '../contract/stream-events.js';
import { TurnCompactions } from './turn-compactions.js';
import { TurnEventInserts } from './turn-event-inserts.js';
import { TurnEventReads } from './turn-event-reads.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { TurnFinishes, type FinishKind, type TurnCompletion } from './turn-finishes.js';
import { fromRow, storedForm, toRow, type EventRow } from './turn-event-rows.js';

/**
 * The channel carrying which turns have new events, after they are committed:
 * `{"o": <instance>, "t": [[turn_id, seq], ...]}`, the highest seq of each
 * turn in that commit and the instance that wrote it (which has told its own
 * readers already). Ids only: data is read from the table.
 */
export const EVENTS_CHANNEL = 'paliadin_turn_events';
/**
 * A reader on some instance follows a turn live (payload: the turn id): the
 * instance writing it then NOTIFYs its flushes on EVENTS_CHANNEL. Without a
 * follower elsewhere a flush sends no NOTIFY at all.
 */
export const INTEREST_CHANNEL = 'paliadin_turn_interest';
// Postgres refuses NOTIFY payloads of 8000 bytes or more.
const MAX_PAYLOAD = 7_000;
// One batch row holds at most this many events, so rows stay small enough to read in one go.
export const MAX_EVENTS_PER_ROW = 2_000;
// Fewer rows than this are not worth a rewrite.
const ROWS_WORTH_COMPACTING = 4;
// Rows holding this many events on average already cost next to nothing each: a rewrite would only cost the database.
const EVENTS_PER_ROW_WORTH_KEEPING = 100;

/**
 * Events of one turn that this instance committed together (the local fast
 * path). `reread`: something was committed that is not in `events` (a retry
 * found its rows stored already), so readers should read the table.
 */
export interface CommittedEvents {
  turnId: string;
  events: StoredTurnEvent[];
  reread?: true;
}

/** A contiguous run of one turn's events to store. */
export interface TurnEventBatch {
  turnId: string;
  events: StoredTurnEvent[];
  /** The agent's conversation id, learnt since the last flush: stored on the turn's row by the same statement. */
  conversationId?: string;
}

/**
 * paliadin_turn_events: every event of a turn, numbered, stored before anyone
 * sees it. Readers on other instances learn of new events by NOTIFY and read
 * them here; readers on this instance get them from `committed$` right after
 * the commit (no NOTIFY→SELECT round trip). Both carry the same stored events.
 */
@Injectable()
export class TurnEventLog implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(TurnEventLog.name);
  /** The app is stopping: an embedded Postgres may stop before this log's own connections are closed. */
  private stopping = false;
  /** Every event this instance committed, right after the commit, in order per turn. */
  readonly committed$ = new Subject<CommittedEvents>();
  /**
   * Names this instance in its notifications, so it can skip its own, and
   * on the rows of the turns it runs (`runner_id`): the events and the end of
   * a turn are taken only from the instance that runs it now (another may
   * have taken over a turn this one was too slow to hand over).
   */
  readonly instanceId = randomUUID();

  /**
   * What other modules close when a turn is failed from outside its run (the
   * janitor, a cancel nobody ran): their events go in before the error, in
   * the same statement. A port below the turn path (requests/ registers its
   * open requests' `resolved`), so this file imports none of them.
   */
  private readonly closers: ((turnId: string, error: ErrorData) => Promise<TurnStreamEvent[]>)[] = [];

  private readonly compactions = new TurnCompactions(
    (turnIds) => this.compactAll(turnIds),
    (turnId, e) =>
      // Cut short by a stop that would not wait longer: nothing is lost, the turn keeps its events in more rows.
      this.stopping
        ? this.logger.warn(`a fold of turn ${turnId}'s events was cut short by the stop: ${(e as Error).message}`)
        : this.logger.error({ err: e, turnId }, "could not compact the turn's events"),
  );

  private readonly reads: TurnEventReads;
  private readonly inserts: TurnEventInserts;
  private readonly finishes: TurnFinishes;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    metrics: MetricsService,
  ) {
    this.reads = new TurnEventReads(db);
    this.finishes = new TurnFinishes(db, this.instanceId, EVENTS_CHANNEL, (n) => metrics.finishesPerCall.observe(n));
    this.inserts = new TurnEventInserts(db, EVENTS_CHANNEL, (e) => {
      if (!this.stopping) this.logger.warn(`an idle event-writer connection broke: ${e.message}`);
    });
  }

  /** The first turn's events do not wait for a connection to be made. */
  async onApplicationBootstrap(): Promise<void> {
    try {
      await this.inserts.connect();
    } catch (e) {
      // The first flush connects (and retries) on its own.
      this.logger.warn(`the event writer could not connect yet: ${(e as Error).message}`);
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.compactions.stop();
  }

  /** After the runs' own shutdown (beforeApplicationShutdown) has stored their last events. */
  async onApplicationShutdown(): Promise<void> {
    await this.inserts.end();
  }

  onFailTurn(closer: (turnId: string, error: ErrorData) => Promise<TurnStreamEvent[]>): void {
    this.closers.push(closer);
  }

  /** The stored events after `afterSeq`, in order; `more` when the row limit cut the read short. */
  read(turnId: string, afterSeq: number, rowLimit = 1_000): Promise<{ events: StoredTurnEvent[]; more: boolean }> {
    return this.reads.read({ turnId, afterSeq, rowLimit });
  }

  /** Every stored event after `afterSeq`. */
  async readAll(turnId: string, afterSeq: number): Promise<StoredTurnEvent[]> {
    const out: StoredTurnEvent[] = [];
    for (let after = afterSeq; ;) {
      const { events, more } = await this.read(turnId, after);
      out.push(...events);
      if (!more || events.length === 0) return out;
      after = events[events.length - 1].seq;
    }
  }

  /**
   * Stores runs of events of many turns in one statement (one row per run, a
   * batch row when it holds several) and notifies `notify` ([turn_id, seq]
   * pairs, for turns followed elsewhere), in one round trip. A turn that is
   * finished already (cancelled on another instance, ended by the janitor)
   * gets nothing stored: it is missing from the returned `open` set. A
   * batch's conversation id goes on its turn's row in the same statement
   * (one round trip and one commit less per turn than an UPDATE of its
   * own). Rows already there (a retry after a commit whose answer was lost) are left as
   * they are.
   */
  async insertBatches(batches: TurnEventBatch[], notify: [string, number][] = []): Promise<{ open: Set<string> }> {
    this.compactions.live(batches.length);
    if (batches.length === 0) {
      if (notify.length > 0)
        await this.db.query(`SELECT count(pg_notify('${EVENTS_CHANNEL}', p)) FROM unnest($1::text[]) AS p`, [notifyPayloads(this.instanceId, notify)]);
      return { open: new Set() };
    }
    const rows: (EventRow & { turn_id: string })[] = [];
    for (const b of batches) {
      for (let i = 0; i < b.events.length; i += MAX_EVENTS_PER_ROW) rows.push({ turn_id: b.turnId, ...toRow(b.events.slice(i, i + MAX_EVENTS_PER_ROW)) });
    }
    const turnIds = batches.map((b) => b.turnId);
    const conversations = batches.flatMap((b) => (b.conversationId === undefined ? [] : [{ turnId: b.turnId, id: storableText(b.conversationId) }]));
    const result = await this.inserts.insert({
      turnIds,
      rows,
      runnerId: this.instanceId,
      notify: notifyPayloads(this.instanceId, notify),
      conversations,
    });
    const open = new Set(result.open);
    // Only what this statement inserted goes out locally; anything else reaches readers by NOTIFY and a read.
    const inserted = new Set(result.inserted);
    for (const b of batches) {
      if (!open.has(b.turnId) || b.events.length === 0) continue;
      const events: StoredTurnEvent[] = [];
      let missing = false;
      for (let i = 0; i < b.events.length; i += MAX_EVENTS_PER_ROW) {
        if (inserted.has(`${b.turnId}:${b.events[i].seq}`)) events.push(...b.events.slice(i, i + MAX_EVENTS_PER_ROW));
        else missing = true;
      }
      this.committed$.next({ turnId: b.turnId, events, ...(missing ? { reread: true as const } : {}) });
    }
    return { open };
  }

  /** Tells whichever instance writes the turn that a reader here follows it live (INTEREST_CHANNEL). */
  async follow(turnId: string): Promise<void> {
    await this.db.query(`SELECT pg_notify('${INTEREST_CHANNEL}', $1)`, [turnId]);
  }

  /** Finishes a turn that produced nothing with an error (cancel, janitor), after what others close of it: see finish(). */
  async failTurn(turnId: string, startedAt: Date, error: ErrorData): Promise<boolean> {
    const closed = (await Promise.all(this.closers.map((close) => close(turnId, error)))).flat();
    return this.finish(turnId, [...closed, { kind: 'error', data: error }], {
      response: null,
      errorCode: error.code,
      durationMs: Date.now() - startedAt.getTime(),
      tokens: null,
      usedTools: [],
      rowsSeen: [],
      chipCount: 0,
      classifierTag: null,
    });
  }

  /**
   * Finishes a turn: completes its row and appends the closing events after
   * whatever is stored, atomically, only if nobody finished it first (and,
   * for a run's own end, only while this instance runs it). Returns false
   * when the turn was already finished, or is another instance's. Runs'
   * own ends that arrive together share one statement (TurnFinishes).
   */
  finish(turnId: string, events: TurnStreamEvent[], c: TurnCompletion, ownRun = false): Promise<boolean> {
    return this.complete(turnId, events, c, ownRun ? 'own' : 'any');
  }

  /**
   * Delivers a late answer to a turn that ended without one (timeout, lost
   * stream): the row gets the answer, and the events (content + end) are
   * appended after its error, so a client resuming from there, or reading
   * the turn afresh, receives them. Returns false when the turn has an
   * answer already or is still running.
   */
  deliverLate(turnId: string, events: TurnStreamEvent[], c: TurnCompletion): Promise<boolean> {
    return this.complete(turnId, events, c, 'late');
  }

  private async complete(turnId: string, closing: TurnStreamEvent[], completion: TurnCompletion, kind: FinishKind): Promise<boolean> {
    const events = closing.map(storedForm);
    this.compactions.live();
    const base = await this.finishes.finish({ turnId, events, completion }, kind);
    if (base === undefined) return false;
    this.committed$.next({ turnId, events: events.map((e, i) => ({ ...e, seq: base + i + 1 })) });
    return true;
  }

  /**
   * Folds a finished turn's rows into as few as possible, keeping every
   * event and its seq (a stream resumed from any id stays exact): a streamed
   * answer then costs about its own text. `rows` is how many rows the turn
   * has, `events` how many events. A turn that streamed fast has few full
   * rows already and is left as it is. Turns that end together go in one
   * statement.
   */
  compact(turnId: string, rows: number, events: number): void {
    if (rows < ROWS_WORTH_COMPACTING || events / rows >= EVENTS_PER_ROW_WORTH_KEEPING) return;
    this.compactions.add(turnId);
  }

  private async compactAll(turnIds: string[]): Promise<true[]> {
    await this.db.query(
      `WITH old AS (
         DELETE FROM paliadin_turn_events WHERE turn_id = ANY($1::uuid[]) RETURNING turn_id, seq, last_seq, kind, data
       ),
       elements AS (
         SELECT o.turn_id, o.seq, e.ord, e.el FROM old o, jsonb_array_elements(o.data) WITH ORDINALITY AS e(el, ord) WHERE o.kind = 'batch'
         UNION ALL
         SELECT o.turn_id, o.seq, 1, CASE WHEN o.kind = 'content' AND o.data ? 'delta' THEN o.data->'delta' ELSE jsonb_build_object('k', o.kind, 'd', o.data) END
         FROM old o WHERE o.kind <> 'batch'
       ),
       numbered AS (
         SELECT turn_id, el, (row_number() OVER (PARTITION BY turn_id ORDER BY seq, ord))::int - 1 AS n, min(seq) OVER (PARTITION BY turn_id) AS first
         FROM elements
       )
       INSERT INTO paliadin_turn_events (turn_id, seq, last_seq, kind, data)
       SELECT turn_id, first + n / $2 * $2, first + n / $2 * $2 + count(*)::int - 1, 'batch', jsonb_agg(el ORDER BY n)
       FROM numbered GROUP BY turn_id, first, n / $2`,
      [turnIds, MAX_EVENTS_PER_ROW],
    );
    return turnIds.map(() => true);
  }

  /**
   * Retention: turns finished more than `days` ago keep only `meta`, one
   * `content {text}` with the stored answer, and their last terminal event,
   * numbered after the highest seq they had, so a client resuming from an id
   * that no longer exists gets this compacted replay from its start. Returns
   * how many turns were compacted (at most `limit`).
   */
  async compactOlderThan(days: number, limit: number, onError: (turnId: string, e: unknown) => void): Promise<number> {
    const turns: { turn_id: string }[] = await this.db.query(
      `SELECT turn_id FROM paliadin_turns
       WHERE events_compacted_at IS NULL AND finished_at < now() - make_interval(days => $1) ORDER BY finished_at LIMIT $2`,
      [days, limit],
    );
    let done = 0;
    for (const { turn_id } of turns) {
      try {
        await this.db.transaction(async (tx) => {
          const [t]: ({ response: string | null } | undefined)[] = await tx.query(
            `SELECT response FROM paliadin_turns WHERE turn_id = $1 AND events_compacted_at IS NULL FOR UPDATE`,
            [turn_id],
          );
          if (!t) return;
          const all = fromRows(await tx.query(`SELECT seq, last_seq, kind, data FROM paliadin_turn_events WHERE turn_id = $1 ORDER BY seq`, [turn_id]));
          const meta = all.find((e) => e.kind === 'meta');
          const terminal = all.findLast((e) => e.kind === 'end' || e.kind === 'error');
          const kept: TurnStreamEvent[] = [
            ...(meta ? [meta] : []),
            ...(t.response !== null ? [{ kind: 'content', data: { text: t.response } } as TurnStreamEvent] : []),
            ...(terminal ? [terminal] : []),
          ];
          const base = all.at(-1)?.seq ?? 0;
          await tx.query(`DELETE FROM paliadin_turn_events WHERE turn_id = $1`, [turn_id]);
          if (kept.length > 0) {
            await tx.query(
              `INSERT INTO paliadin_turn_events (turn_id, seq, kind, data) SELECT $1, $2 + t.ord, t.kind, t.data
               FROM unnest($3::text[], $4::jsonb[]) WITH ORDINALITY AS t(kind, data, ord)`,
              [turn_id, base, kept.map((e) => e.kind), kept.map((e) => JSON.stringify(e.data))],
            );
          }
          await tx.query(`UPDATE paliadin_turns SET events_compacted_at = now() WHERE turn_id = $1`, [turn_id]);
        });
        done++;
      } catch (e) {
        onError(turn_id, e);
      }
    }
    return done;
  }
}

function fromRows(rows: EventRow[]): StoredTurnEvent[] {
  return rows.flatMap((r) => fromRow(r));
}

/** `[turn_id, seq]` pairs as NOTIFY payloads of `origin`, each under Postgres' size limit. */
export function notifyPayloads(origin: string, pairs: [string, number][]): string[] {
  const out: string[] = [];
  const head = `{"o":${JSON.stringify(origin)},"t":[`;
  let current: string[] = [];
  let size = head.length + 2;
  for (const pair of pairs) {
    const entry = JSON.stringify(pair);
    if (size + entry.length + 1 > MAX_PAYLOAD && current.length > 0) {
      out.push(`${head}${current.join(',')}]}`);
      current = [];
      size = head.length + 2;
    }
    current.push(entry);
    size += entry.length + 1;
  }
  if (current.length > 0) out.push(`${head}${current.join(',')}]}`);
  return out;
}

/** Reads a NOTIFY payload: the writing instance and the `[turn_id, seq]` pairs. */
export function parseNotifyPayload(payload: string): { origin?: string; pairs: [string, number][] } {
  let msg: { o?: unknown; t?: unknown } | null;
  try {
    msg = JSON.parse(payload) as typeof msg;
  } catch {
    return { pairs: [] };
  }
  const pairs = Array.isArray(msg?.t)
    ? msg.t.filter((p): p is [string, number] => Array.isArray(p) && typeof p[0] === 'string' && typeof p[1] === 'number')
    : [];
  return { origin: typeof msg?.o === 'string' ? msg.o : undefined, pairs };
}
