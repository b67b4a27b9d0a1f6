import type { RequestKind, RequestOutcome, ResolvedBy } from '../contract/requests.js';
import type { NewRequest } from '../paliadin/turn-requests.js';
import type { Queryable } from '../sessions/session-store.js';

/** The channel that carries a request id once its resolution is committed: the instance whose turn waits reads it. */
export const RESOLVED_CHANNEL = 'paliadin_request_resolved';

/** A paliadin_requests row as read. */
export interface RequestRecord {
  request_id: string;
  turn_id: string;
  session_ref: string | null;
  user_id: string;
  kind: RequestKind;
  data: Record<string, unknown>;
  grant_rule: string | null;
  created_at: Date;
  expires_at: Date;
  resolved_at: Date | null;
  resolved_by: ResolvedBy | null;
  answered_by: string | null;
  outcome: RequestOutcome | null;
  answer: unknown;
}

export interface Resolution {
  by: ResolvedBy;
  outcome: RequestOutcome;
  answer?: unknown;
  /** The user id or API key id that answered (by: user, api_key). */
  answeredBy?: string;
}

/**
 * "Not resolved yet", spelled so the planner cannot take it for the predicate of the index of all open
 * requests: a statement about one request, one turn or one session goes by its own key (a session's
 * open requests have an index saying this very predicate, and `session_ref IS NOT NULL`). Planned while
 * few requests were open (statistics taken at rest), `resolved_at IS NULL` read the index of all open
 * requests whole instead (docs/database.md, "Statements under a crowd").
 */
const NOT_RESOLVED = 'num_nulls(resolved_at) = 1';

const COLUMNS = `request_id, turn_id, session_ref, user_id, kind, data, grant_rule, created_at, expires_at, resolved_at, resolved_by, answered_by, outcome, answer`;

/** paliadin_requests: every statement on it (docs/requests.md). */
export const RequestStore = {
  async insert(db: Queryable, r: NewRequest): Promise<void> {
    await db.query(
      `INSERT INTO paliadin_requests (request_id, turn_id, session_ref, user_id, kind, data, grant_rule, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [r.requestId, r.turnId, r.sessionRef, r.userId, r.kind, JSON.stringify(r.data), r.grantRule ?? null, r.createdAt, r.expiresAt],
    );
  },

  async find(db: Queryable, requestId: string): Promise<RequestRecord | undefined> {
    return ((await db.query(`SELECT ${COLUMNS} FROM paliadin_requests WHERE request_id = $1`, [requestId])) as RequestRecord[])[0];
  },

  /** A turn's requests, oldest first. */
  async ofTurn(db: Queryable, turnId: string): Promise<RequestRecord[]> {
    return (await db.query(`SELECT ${COLUMNS} FROM paliadin_requests WHERE turn_id = $1 ORDER BY created_at, request_id`, [turnId])) as RequestRecord[];
  },

  /** A session's requests, oldest first: the open ones, or all (the newest `limit`). */
  async ofSession(db: Queryable, sessionId: string, open: boolean, limit: number): Promise<RequestRecord[]> {
    return (await db.query(
      `SELECT * FROM (
         SELECT ${COLUMNS} FROM paliadin_requests WHERE session_ref = $1 ${open ? `AND ${NOT_RESOLVED}` : ''}
         ORDER BY created_at DESC, request_id DESC LIMIT $2
       ) newest ORDER BY created_at, request_id`,
      [sessionId, limit],
    )) as RequestRecord[];
  },

  /**
   * Resolves a request unless it is already, and announces it on
   * RESOLVED_CHANNEL in the same statement (sent on commit). Undefined when
   * it was resolved already (or does not exist): the earlier resolution stands.
   */
  async resolve(db: Queryable, requestId: string, r: Resolution): Promise<RequestRecord | undefined> {
    const rows = (await db.query(
      `WITH r AS (
         UPDATE paliadin_requests SET resolved_at = clock_timestamp(), resolved_by = $2, outcome = $3, answer = $4, answered_by = $5
         WHERE request_id = $1 AND ${NOT_RESOLVED}
         RETURNING ${COLUMNS}
       )
       SELECT r.*, pg_notify('${RESOLVED_CHANNEL}', r.request_id::text) FROM r`,
      [requestId, r.by, JSON.stringify(r.outcome), r.answer === undefined ? null : JSON.stringify(r.answer), r.answeredBy ?? null],
    )) as RequestRecord[];
    return rows[0];
  },

  /** The open requests of one turn, oldest first. */
  async openOfTurn(db: Queryable, turnId: string): Promise<Pick<RequestRecord, 'request_id' | 'kind'>[]> {
    return (await db.query(`SELECT request_id, kind FROM paliadin_requests WHERE turn_id = $1 AND ${NOT_RESOLVED} ORDER BY created_at`, [turnId])) as Pick<
      RequestRecord,
      'request_id' | 'kind'
    >[];
  },

  /** Open requests whose turn is over (its instance died, or it was ended where nobody ran it), with how the turn ended. */
  async openOfFinishedTurns(db: Queryable, limit: number): Promise<(Pick<RequestRecord, 'request_id' | 'kind'> & { error_code: string | null })[]> {
    return (await db.query(
      `SELECT q.request_id, q.kind, t.error_code FROM paliadin_requests q JOIN paliadin_turns t ON t.turn_id = q.turn_id
       WHERE q.resolved_at IS NULL AND t.finished_at IS NOT NULL ORDER BY q.created_at LIMIT $1`,
      [limit],
    )) as (Pick<RequestRecord, 'request_id' | 'kind'> & { error_code: string | null })[];
  },

  /** Open requests of all instances, by kind (metrics, the dashboard). */
  async openByKind(db: Queryable): Promise<{ kind: string; n: number; oldest: Date | null }[]> {
    return (await db.query(`SELECT kind, count(*)::int AS n, min(created_at) AS oldest FROM paliadin_requests WHERE resolved_at IS NULL GROUP BY kind`)) as {
      kind: string;
      n: number;
      oldest: Date | null;
    }[];
  },
};
