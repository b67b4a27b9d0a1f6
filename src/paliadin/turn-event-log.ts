import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { ErrorData, StoredTurnEvent, TurnStreamEvent } from '../contract/stream-events.js';
import type { ErrorCode } from '../contract/error-codes.js';

/** The channel carrying `{turn_id, seq}` after events are committed. Ids only: data is read from the table. */
export const EVENTS_CHANNEL = 'paliadin_turn_events';

// One statement stays well under Postgres' parameter and packet limits.
const MAX_BATCH = 1000;

/** What finishing a turn writes onto its row. */
export interface TurnCompletion {
  response: string | null;
  errorCode: ErrorCode | null;
  durationMs: number;
  tokens: number | null;
  usedTools: string[];
  rowsSeen: number[];
  chipCount: number;
  classifierTag: string | null;
  aichatConversationId?: string | null;
}

/**
 * paliadin_turn_events: every event of a turn, numbered, stored before anyone
 * sees it. Readers (the SSE streams) only ever read from here.
 */
@Injectable()
export class TurnEventLog {
  private readonly logger = new Logger(TurnEventLog.name);

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** A batching writer for the instance running the turn; `lastSeq` is the highest seq already stored. */
  writer(turnId: string, lastSeq: number, onRefused: () => void): TurnEventWriter {
    return new TurnEventWriter(this, turnId, lastSeq, onRefused, this.logger);
  }

  async read(turnId: string, afterSeq: number, limit = 5000): Promise<StoredTurnEvent[]> {
    const rows: { seq: number; kind: string; data: unknown }[] = await this.db.query(
      `SELECT seq, kind, data FROM paliadin_turn_events WHERE turn_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
      [turnId, afterSeq, limit],
    );
    return rows.map((r) => ({ seq: r.seq, kind: r.kind, data: r.data }) as StoredTurnEvent);
  }

  async maxSeq(turnId: string): Promise<number> {
    const [row] = await this.db.query(`SELECT COALESCE(MAX(seq), 0)::int AS seq FROM paliadin_turn_events WHERE turn_id = $1`, [turnId]);
    return row.seq as number;
  }

  /**
   * Appends a batch while the turn is unfinished, then notifies, in one round
   * trip. Returns how many rows went in: 0 means the turn was finished by
   * someone else (a cancel on another instance, the janitor).
   */
  async insertBatch(turnId: string, events: StoredTurnEvent[]): Promise<number> {
    const rows: { inserted: number }[] = await this.db.query(
      `WITH ins AS (
         INSERT INTO paliadin_turn_events (turn_id, seq, kind, data)
         SELECT $1, t.seq, t.kind, t.data FROM unnest($2::int[], $3::text[], $4::jsonb[]) AS t(seq, kind, data)
         WHERE EXISTS (SELECT 1 FROM paliadin_turns WHERE turn_id = $1 AND finished_at IS NULL)
         ON CONFLICT DO NOTHING
         RETURNING seq
       )
       SELECT count(*)::int AS inserted,
              CASE WHEN count(*) > 0 THEN pg_notify('${EVENTS_CHANNEL}', json_build_object('turn_id', $1::text, 'seq', max(seq))::text) END
       FROM ins`,
      [turnId, events.map((e) => e.seq), events.map((e) => e.kind), events.map((e) => JSON.stringify(e.data))],
    );
    return rows[0].inserted;
  }

  /** Finishes a turn that produced nothing with an error (cancel, janitor): see finish(). */
  failTurn(turnId: string, startedAt: Date, error: ErrorData): Promise<boolean> {
    return this.finish(turnId, [{ kind: 'error', data: error }], {
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
   * whatever is stored, atomically, only if nobody finished it first.
   * Returns false when the turn was already finished.
   */
  finish(turnId: string, events: TurnStreamEvent[], c: TurnCompletion): Promise<boolean> {
    return this.complete(turnId, events, c, 'finished_at IS NULL');
  }

  /**
   * Delivers a late answer to a turn that ended without one (timeout, lost
   * stream): the row gets the answer, and the events (content + end) are
   * appended after its error, so a client resuming from there receives them.
   * Returns false when the turn has an answer already or is still running.
   */
  deliverLate(turnId: string, events: TurnStreamEvent[], c: TurnCompletion): Promise<boolean> {
    return this.complete(turnId, events, c, 'finished_at IS NOT NULL AND response IS NULL');
  }

  private async complete(turnId: string, events: TurnStreamEvent[], c: TurnCompletion, unlessDone: string): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      try {
        const [row] = await this.db.query(
          `WITH upd AS (
             UPDATE paliadin_turns SET finished_at = now(), response = $2, error_code = $3, duration_ms = $4, tokens = $5,
               used_tools = $6, rows_seen = $7, chip_count = $8, classifier_tag = $9,
               aichat_conversation_id = COALESCE($10, aichat_conversation_id)
             WHERE turn_id = $1 AND ${unlessDone}
             RETURNING turn_id
           ),
           base AS (SELECT COALESCE(MAX(seq), 0) AS s FROM paliadin_turn_events WHERE turn_id = $1),
           ins AS (
             INSERT INTO paliadin_turn_events (turn_id, seq, kind, data)
             SELECT $1, base.s + t.ord, t.kind, t.data
             FROM upd, base, unnest($11::text[], $12::jsonb[]) WITH ORDINALITY AS t(kind, data, ord)
             RETURNING seq
           )
           SELECT (SELECT count(*)::int FROM upd) AS updated,
                  (SELECT pg_notify('${EVENTS_CHANNEL}', json_build_object('turn_id', $1::text, 'seq', max(seq))::text)
                   FROM ins HAVING count(*) > 0) AS notified`,
          [
            turnId,
            c.response,
            c.errorCode,
            c.durationMs,
            c.tokens,
            c.usedTools,
            c.rowsSeen,
            c.chipCount,
            c.classifierTag,
            c.aichatConversationId ?? null,
            events.map((e) => e.kind),
            events.map((e) => JSON.stringify(e.data)),
          ],
        );
        return row.updated === 1;
      } catch (e) {
        // A writer raced us to the next seq: the statement rolled back whole, so try again.
        if ((e as { code?: string }).code === '23505' && attempt < 5) continue;
        throw e;
      }
    }
  }
}

/**
 * Numbers and writes one running turn's events. Appends return at once; the
 * events go out in batches (one multi-row insert per flush), so a burst of
 * tokens costs a few round trips rather than one each.
 */
export class TurnEventWriter {
  private pending: StoredTurnEvent[] = [];
  private flushing?: Promise<void>;
  private failed = false;

  constructor(
    private readonly log: TurnEventLog,
    private readonly turnId: string,
    private seq: number,
    private readonly onRefused: () => void,
    private readonly logger: Logger,
  ) {}

  append(ev: TurnStreamEvent): void {
    this.pending.push({ ...ev, seq: ++this.seq } as StoredTurnEvent);
    this.flushing ??= this.drain();
  }

  /** Resolves once everything appended so far is stored (or has failed to be). */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async drain(): Promise<void> {
    // Let the current burst of synchronous appends join this batch.
    await new Promise<void>((r) => setImmediate(r));
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, MAX_BATCH);
        if (this.failed) continue;
        try {
          const inserted = await this.log.insertBatch(this.turnId, batch);
          if (inserted === 0) {
            this.failed = true;
            this.onRefused();
          }
        } catch (e) {
          // The turn cannot be recorded any more; the janitor will finish it as interrupted.
          this.failed = true;
          this.logger.error({ err: e, turnId: this.turnId }, 'could not store turn events');
          this.onRefused();
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }
}
