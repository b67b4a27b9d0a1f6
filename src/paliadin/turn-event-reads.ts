import type { DataSource } from 'typeorm';
import type { StoredTurnEvent } from '../contract/stream-events.js';
import { CallBatcher } from '../database/call-batcher.js';
import { fromRow, type EventRow } from './turn-event-rows.js';

export interface EventRead {
  turnId: string;
  afterSeq: number;
  rowLimit: number;
}

export interface EventReadResult {
  events: StoredTurnEvent[];
  /** The row limit cut the read short. */
  more: boolean;
}

/**
 * Reads of stored events (TurnEventLog.read): those that arrive while
 * others are on their way go in one statement, each turn's rows limited on
 * their own. A crowd's readers each replay their turn when they arrive; one
 * statement apiece would queue them for pool connections behind each other.
 */
export class TurnEventReads {
  private readonly batcher: CallBatcher<EventRead, EventReadResult>;

  constructor(private readonly db: DataSource) {
    this.batcher = new CallBatcher({ call: (reads) => this.readMany(reads), key: (r) => r.turnId, maxCalls: 4, maxBatch: 250 });
  }

  read(r: EventRead): Promise<EventReadResult> {
    return this.batcher.submit(r);
  }

  private async readMany(reads: EventRead[]): Promise<EventReadResult[]> {
    const rows: (EventRow & { i: string })[] = await this.db.query(
      `SELECT q.i, e.seq, e.last_seq, e.kind, e.data
       FROM unnest($1::uuid[], $2::int[], $3::int[]) WITH ORDINALITY AS q(turn_id, after_seq, row_limit, i)
       CROSS JOIN LATERAL (
         SELECT seq, last_seq, kind, data FROM paliadin_turn_events ev
         WHERE ev.turn_id = q.turn_id AND (ev.seq > q.after_seq OR ev.last_seq > q.after_seq) ORDER BY ev.seq LIMIT q.row_limit
       ) e
       ORDER BY q.i, e.seq`,
      [reads.map((r) => r.turnId), reads.map((r) => r.afterSeq), reads.map((r) => r.rowLimit)],
    );
    const byRead: EventRow[][] = reads.map(() => []);
    for (const row of rows) byRead[Number(row.i) - 1].push(row);
    return reads.map((r, i) => ({ events: byRead[i].flatMap((row) => fromRow(row, r.afterSeq)), more: byRead[i].length === r.rowLimit }));
  }
}
