import type { DataSource } from 'typeorm';
import type { ErrorCode } from '../contract/error-codes.js';
import { storableText, storableValue } from '../contract/storable-text.js';
import type { TurnStreamEvent } from '../contract/stream-events.js';
import { CallBatcher } from '../database/call-batcher.js';
import { rawPool } from '../database/raw-pool.js';
import { NOT_FINISHED } from './turn-rows.js';

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

/** A turn's end: its closing events, in stored form, and what goes on its row. */
export interface TurnEnd {
  turnId: string;
  events: TurnStreamEvent[];
  completion: TurnCompletion;
}

/**
 * Which turns a finish may take: `own`, a run's own end (unfinished, and run
 * by this instance); `any`, an end from outside the run (a cancel, the
 * janitor); `late`, a late answer to a turn that ended without one.
 */
export type FinishKind = 'own' | 'any' | 'late';

// A NOTIFY payload must stay under 8,000 bytes: a hundred [turn, seq] pairs take about 5,000.
const PAIRS_PER_NOTIFY = 100;
// Runs' ends that arrive while others are on their way go in one statement.
const FINISH_CALLS = 2;
const FINISH_BATCH = 200;

/**
 * The finishing statement of TurnEventLog: completes turns' rows and appends
 * their closing events after whatever each has stored, atomically, only for
 * the turns this kind of finish may take, and NOTIFYs the new last seqs
 * (EVENTS_CHANNEL). Runs' own ends that arrive together (a crowd's turns
 * ending within the same moments) go in one statement: one commit and one
 * NOTIFY for them all. A NOTIFY takes a lock that every notifying commit
 * holds through its WAL flush, so one statement per end made a crowd's ends
 * commit one after another (2,000 ends: 2.0-2.7 s and 2.4-3.0 s of
 * Postgres' CPU on the project's 2-core machine, 0.3 s and 0.5 s in
 * statements of 200).
 */
export class TurnFinishes {
  private readonly sql: Record<FinishKind, string>;
  private readonly own: CallBatcher<TurnEnd, number | undefined>;

  constructor(
    private readonly db: DataSource,
    instanceId: string,
    channel: string,
    observe: (ends: number) => void,
  ) {
    this.sql = {
      own: finishSql(`${NOT_FINISHED} AND t.runner_id = '${instanceId}'`, instanceId, channel),
      any: finishSql(NOT_FINISHED, instanceId, channel),
      late: finishSql('t.finished_at IS NOT NULL AND t.response IS NULL', instanceId, channel),
    };
    this.own = new CallBatcher({
      call: (ends) => this.finishAll(ends, 'own'),
      key: (end) => end.turnId,
      onePerKey: true,
      maxCalls: FINISH_CALLS,
      maxBatch: FINISH_BATCH,
      observe,
    });
  }

  /** The seq the turn's closing events follow, or undefined when the turn was not this finish's to take (nothing stored). */
  async finish(end: TurnEnd, kind: FinishKind): Promise<number | undefined> {
    if (kind === 'own') return this.own.submit(end);
    const [base] = await this.finishAll([end], kind);
    return base;
  }

  private async finishAll(ends: TurnEnd[], kind: FinishKind): Promise<(number | undefined)[]> {
    // All turns as one JSON document, one native JSON.stringify (see TurnEventInserts).
    const doc = JSON.stringify(
      ends.map(({ turnId, events, completion: c }) => ({
        turn_id: turnId,
        response: c.response === null ? null : storableText(c.response),
        error_code: c.errorCode,
        duration_ms: c.durationMs,
        tokens: c.tokens,
        used_tools: storableValue(c.usedTools),
        rows_seen: c.rowsSeen,
        chip_count: c.chipCount,
        classifier_tag: c.classifierTag === null ? null : storableText(c.classifierTag),
        conversation_id: c.aichatConversationId ? storableText(c.aichatConversationId) : null,
        events: events.map((e) => [e.kind, e.data]),
      })),
    );
    for (let attempt = 0; ; attempt++) {
      try {
        // Every turn's last statement: prepared once per connection (rawPool), as the event inserts are.
        const { rows } = await rawPool(this.db).query<{ turn_id: string; base: number }>({
          name: `paliadin-finish-${kind}`,
          text: this.sql[kind],
          values: [doc],
        });
        const bases = new Map(rows.map((r) => [r.turn_id, r.base]));
        // uuid columns come back in lower case.
        return ends.map((e) => bases.get(e.turnId.toLowerCase()));
      } catch (e) {
        // A writer raced us to a turn's next seq, or a deadlock chose this statement (another that
        // locks many turns' rows in another order: an adoption): it rolled back whole, so try again.
        const code = (e as { code?: string }).code;
        if ((code === '23505' || code === '40P01') && attempt < 5) continue;
        throw e;
      }
    }
  }
}

/**
 * The statement for turns whose rows match `takes` (on `t`, paliadin_turns): one row per turn finished, with its base seq.
 *
 * The rows are found by their ids in the primary key (`= ANY`), not only by the join with the input: a
 * new instance's runner id is unknown to the planner's statistics, so it took `t.runner_id = ...` for a
 * row or two, read the whole table, and matched every row against every end (2,000 live turns, 100 ends:
 * 200-270 ms a statement instead of 20).
 */
export function finishSql(takes: string, instanceId: string, channel: string): string {
  return `WITH input AS (
      SELECT * FROM jsonb_to_recordset($1::jsonb) AS i(turn_id uuid, response text, error_code text, duration_ms int, tokens int,
        used_tools text[], rows_seen bigint[], chip_count int, classifier_tag text, conversation_id text, events jsonb)
    ),
    upd AS (
      UPDATE paliadin_turns t SET finished_at = now(), response = i.response, error_code = i.error_code, duration_ms = i.duration_ms,
        tokens = i.tokens, used_tools = i.used_tools, rows_seen = i.rows_seen, chip_count = i.chip_count, classifier_tag = i.classifier_tag,
        aichat_conversation_id = COALESCE(i.conversation_id, t.aichat_conversation_id)
      FROM input i
      WHERE t.turn_id = i.turn_id AND t.turn_id = ANY(ARRAY(SELECT turn_id FROM input)) AND ${takes}
      RETURNING t.turn_id
    ),
    base AS (
      SELECT u.turn_id, (SELECT COALESCE(MAX(COALESCE(e.last_seq, e.seq)), 0) FROM paliadin_turn_events e WHERE e.turn_id = u.turn_id) AS s
      FROM upd u
    ),
    ins AS (
      INSERT INTO paliadin_turn_events (turn_id, seq, kind, data)
      SELECT b.turn_id, b.s + ev.ord, ev.el->>0, ev.el->1
      FROM base b JOIN input i USING (turn_id), jsonb_array_elements(i.events) WITH ORDINALITY AS ev(el, ord)
      RETURNING turn_id, seq
    ),
    notified AS (
      SELECT count(pg_notify('${channel}', json_build_object('o', '${instanceId}', 't', pairs)::text)) AS n
      FROM (
        SELECT json_agg(json_build_array(turn_id::text, seq)) AS pairs
        FROM (SELECT turn_id, max(seq) AS seq, (row_number() OVER () - 1) / ${PAIRS_PER_NOTIFY} AS part FROM ins GROUP BY turn_id) last
        GROUP BY part
      ) p
    )
    SELECT b.turn_id::text AS turn_id, b.s::int AS base FROM base b, notified`;
}
