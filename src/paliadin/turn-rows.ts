import type { TurnHistoryRowDto, TurnViewDto } from './dto/turn-view.dto.js';

/** Anything that runs a query: the data source, or a transaction's manager. */
interface Queryable {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

/**
 * "Not finished", for statements that find a turn by its id. Spelt so that
 * Postgres cannot use it to pick one of the partial indexes of unfinished
 * turns: they are nearly empty whenever statistics are taken, so the planner
 * would rather scan one, the id as a filter, than look the key up; under a
 * crowd that scan reads every live turn's entry (150-300 pages a statement,
 * docs/database.md).
 */
export const NOT_FINISHED = 'num_nulls(finished_at) = 1';

/** The columns every turn view selects; rows_seen is bigint[] and comes back as strings. */
export const TURN_COLUMNS = `turn_id, started_at, finished_at, response, error_code, duration_ms, used_tools,
  rows_seen::text[] AS rows_seen, chip_count, classifier_tag, user_message, session_id, page_origin, backend, user_id`;

export interface TurnRecord {
  turn_id: string;
  started_at: Date;
  finished_at: Date | null;
  response: string | null;
  error_code: string | null;
  duration_ms: number | null;
  used_tools: string[];
  rows_seen: string[];
  chip_count: number;
  classifier_tag: string | null;
  user_message: string;
  session_id: string;
  page_origin: string | null;
  backend: string;
  user_id: string;
}

export function toTurnView(r: TurnRecord): TurnViewDto {
  return {
    turn_id: r.turn_id,
    started_at: r.started_at.toISOString(),
    finished_at: r.finished_at?.toISOString() ?? null,
    response: r.response,
    error_code: r.error_code,
    duration_ms: r.duration_ms,
    used_tools: r.used_tools,
    rows_seen: r.rows_seen.map(Number),
    chip_count: r.chip_count,
    classifier_tag: r.classifier_tag,
  };
}

export function toHistoryRow(r: TurnRecord): TurnHistoryRowDto {
  return {
    ...toTurnView(r),
    user_message: r.user_message,
    session_id: r.session_id,
    page_origin: r.page_origin,
    backend: r.backend,
    user_id: r.user_id,
  };
}

/** A browser session's earlier answered exchanges (but `turnId`'s), oldest first: the newest `limit` of them. */
export async function earlierExchanges(
  db: Queryable,
  userId: string,
  sessionId: string,
  turnId: string,
  limit: number,
): Promise<{ user: string; assistant: string }[]> {
  const rows = (await db.query(
    `SELECT user_message, response FROM (
       SELECT user_message, response, started_at FROM paliadin_turns
       WHERE user_id = $1 AND session_id = $2 AND turn_id <> $3 AND response IS NOT NULL
       ORDER BY started_at DESC LIMIT $4
     ) recent ORDER BY started_at`,
    [userId, sessionId, turnId, limit],
  )) as { user_message: string; response: string }[];
  return rows.map((x) => ({ user: x.user_message, assistant: x.response }));
}
