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

  async insert(p: EventsInsert): Promise<{ open: string[]; inserted: string[] }> {
    const full = p.conversations.length > 0 || p.notify.length > 0;
    const { rows } = await this.connections().query<{ open: string | null; inserted: string | null }>({
      name: full ? 'paliadin-insert-events' : 'paliadin-insert-events-only',
      text: full ? this.full : this.only,
      values: [
        // The turn ids (uuids: no commas) go as one text and come back as one: under a crowd a
        // flush names 2,000 turns, and pg quotes and parses arrays element by element (3% of the
        // gateway's CPU in the burst's steady state; a native join and split, 0.1%).
        p.turnIds.join(','),
        // All rows as one JSON document, [turn, seq, last seq, kind, data] each: one native
        // JSON.stringify, where five parameter arrays cost pg's element-by-element quoting and a
        // long string built piece by piece (a sixth of the gateway's CPU at 200,000 events/s).
        JSON.stringify(p.rows.map((r) => [r.turn_id, r.seq, r.last_seq, r.kind, r.data])),
        p.runnerId,
        ...(full ? [p.notify, p.conversations.map((c) => c.turnId), p.conversations.map((c) => c.id)] : []),
      ],
    });
    return { open: splitIds(rows[0].open), inserted: splitIds(rows[0].inserted) };
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

const splitIds = (list: string | null): string[] => (list ? list.split(',') : []);

/** $1 turns (comma-separated), $2 the rows (a JSON array), $3 the runner; `full` also NOTIFYs ($4) and stores conversation ids ($5, $6). */
function insertEventsSql(channel: string, full: boolean): string {
  const conversation = full
    ? `conversation AS (
         UPDATE paliadin_turns t SET aichat_conversation_id = c.id
         FROM unnest($5::uuid[], $6::text[]) AS c(turn_id, id)
         WHERE t.turn_id = c.turn_id AND t.turn_id IN (SELECT turn_id FROM open)
       ),`
    : '';
  const notified = full ? `, (SELECT count(pg_notify('${channel}', p)) FROM unnest($4::text[]) AS p) AS notified` : '';
  // FOR KEY SHARE: a turn being deleted meanwhile takes no rows (what a foreign key checked row by row, once per turn here).
  return `WITH open AS (
         SELECT turn_id FROM paliadin_turns WHERE turn_id = ANY(string_to_array($1, ',')::uuid[]) AND ${NOT_FINISHED} AND runner_id = $3 FOR KEY SHARE
       ),
       ${conversation}
       ins AS (
         INSERT INTO paliadin_turn_events (turn_id, seq, last_seq, kind, data)
         SELECT (r->>0)::uuid, (r->>1)::int, (r->>2)::int, r->>3, r->4
         FROM jsonb_array_elements($2::jsonb) AS r
         WHERE (r->>0)::uuid IN (SELECT turn_id FROM open)
         ON CONFLICT DO NOTHING
         RETURNING turn_id::text || ':' || seq
       )
       SELECT (SELECT string_agg(turn_id::text, ',') FROM open) AS open,
              (SELECT string_agg(i, ',') FROM ins AS x(i)) AS inserted${notified}`;
}
