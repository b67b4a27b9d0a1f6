import type pg from 'pg';
import type { DataSource } from 'typeorm';
import { sidePool } from '../database/side-pool.js';
import type { EventRow } from './turn-event-rows.js';
import { NOT_FINISHED } from './turn-rows.js';

export interface EventsInsert {
  /** The turns the rows belong to, each once. */
  turnIds: string[];
  rows: (EventRow & { turn_id: string })[];
  /** Only turns this instance runs take rows. */
  runnerId: string;
  /** NOTIFY payloads, for turns followed elsewhere. */
  notify: string[];
  /** Conversation ids to store on their turns' rows. */
  conversations: { turnId: string; id: string }[];
}

/**
 * The events insert of TurnEventLog.insertBatches, the hottest statement of
 * all: rows only into turns still open and run by this instance, answering
 * the open turns and the rows it inserted. It runs on connections of its
 * own (one flush at a time, and a spare for a reconnect): a flush carries
 * every live turn's events, and behind a crowd's statements in the main
 * pool it waited seconds for a slot. Prepared once per connection, in two
 * forms: most flushes carry neither a conversation id nor a NOTIFY, and the
 * form without those parts answers about 0.3 ms sooner on an idle machine,
 * where one event at a time is each a flush.
 */
export class TurnEventInserts {
  private pool?: pg.Pool;
  private readonly full: string;
  private readonly only: string;

  constructor(
    private readonly db: DataSource,
    channel: string,
    private readonly onBroken: (e: Error) => void,
  ) {
    this.full = insertEventsSql(channel, true);
    this.only = insertEventsSql(channel, false);
  }

  async insert(p: EventsInsert): Promise<{ open: string[] | null; inserted: string[] | null }> {
    const full = p.conversations.length > 0 || p.notify.length > 0;
    const { rows } = await this.connections().query<{ open: string[] | null; inserted: string[] | null }>({
      name: full ? 'paliadin-insert-events' : 'paliadin-insert-events-only',
      text: full ? this.full : this.only,
      values: [
        p.turnIds,
        p.rows.map((r) => r.turn_id),
        p.rows.map((r) => r.seq),
        p.rows.map((r) => r.last_seq),
        p.rows.map((r) => r.kind),
        p.rows.map((r) => JSON.stringify(r.data)),
        p.runnerId,
        ...(full ? [p.notify, p.conversations.map((c) => c.turnId), p.conversations.map((c) => c.id)] : []),
      ],
    });
    return rows[0];
  }

  /** Makes a connection now, so the first events do not wait for one. */
  async connect(): Promise<void> {
    (await this.connections().connect()).release();
  }

  async end(): Promise<void> {
    await this.pool?.end();
  }

  private connections(): pg.Pool {
    this.pool ??= sidePool(this.db, 2, this.onBroken);
    return this.pool;
  }
}

/** $1 turns, $2-$6 the rows, $7 the runner; `full` also NOTIFYs ($8) and stores conversation ids ($9, $10). */
function insertEventsSql(channel: string, full: boolean): string {
  const conversation = full
    ? `conversation AS (
         UPDATE paliadin_turns t SET aichat_conversation_id = c.id
         FROM unnest($9::uuid[], $10::text[]) AS c(turn_id, id)
         WHERE t.turn_id = c.turn_id AND t.turn_id IN (SELECT turn_id FROM open)
       ),`
    : '';
  const notified = full ? `, (SELECT count(pg_notify('${channel}', p)) FROM unnest($8::text[]) AS p) AS notified` : '';
  return `WITH open AS (
         SELECT turn_id FROM paliadin_turns WHERE turn_id = ANY($1::uuid[]) AND ${NOT_FINISHED} AND runner_id = $7
       ),
       ${conversation}
       ins AS (
         INSERT INTO paliadin_turn_events (turn_id, seq, last_seq, kind, data)
         SELECT t.turn_id, t.seq, t.last_seq, t.kind, t.data
         FROM unnest($2::uuid[], $3::int[], $4::int[], $5::text[], $6::jsonb[]) AS t(turn_id, seq, last_seq, kind, data)
         WHERE t.turn_id IN (SELECT turn_id FROM open)
         ON CONFLICT DO NOTHING
         RETURNING turn_id::text || ':' || seq
       )
       SELECT (SELECT array_agg(turn_id::text) FROM open) AS open,
              (SELECT array_agg(i) FROM ins AS x(i)) AS inserted${notified}`;
}
