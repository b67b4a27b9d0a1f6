import type { ClientToolDeclaration, SessionRules } from '../contract/requests.js';
import type { SessionStatus } from './session-status.js';
import { returnedRows } from '../database/returned-rows.js';

/** Anything that runs a query: the data source, or a transaction's manager. */
export interface Queryable {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

/** A paliadin_sessions row as read. */
export interface SessionRecord {
  id: string;
  user_id: string;
  name: string;
  agent_session: string;
  created_by: string;
  backend: string;
  driver: string | null;
  workspace: string | null;
  status: SessionStatus;
  created_at: Date;
  expires_at: Date | null;
  ended_at: Date | null;
  last_activity_at: Date;
  turns: number;
  agent_session_id: string | null;
  running_turn_id: string | null;
  user_email: string;
  /** Rules added at creation (docs/requests.md#rules). */
  permissions: SessionRules | null;
  client_tools: ClientToolDeclaration[] | null;
  /** Rules its user granted with `allow_always`. */
  grants: string[];
}

/** The name of every user's default session (the one POST /api/paliadin/turn uses); reserved. */
export const DEFAULT_SESSION_NAME = 'default';

const COLUMNS = `s.id, s.user_id, s.name, s.agent_session, s.created_by, s.backend, s.driver, s.workspace, s.status, s.created_at,
  s.expires_at, s.ended_at, s.last_activity_at, s.turns, s.agent_session_id, s.permissions, s.client_tools, s.grants,
  (SELECT t.turn_id FROM paliadin_turns t WHERE t.session_ref = s.id AND t.finished_at IS NULL ORDER BY t.queue_seq LIMIT 1) AS running_turn_id,
  (SELECT u.email FROM users u WHERE u.id = s.user_id) AS user_email`;

/** A timestamptz as JavaScript's toISOString() writes it, so every `at` reads the same. */
const ISO = (col: string) => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * paliadin_sessions and paliadin_session_events: every statement on them
 * but a turn's start, which is recorded with the turn in the database
 * function paliadin_admit_turns (migrations/1764700000000-TurnAdmission.ts;
 * TurnAdmissions calls it). A session's own events (lifecycle, turn starts)
 * are numbered by its `events_seq`, bumped in the statement that records the
 * change.
 */
export const SessionStore = {
  async find(db: Queryable, id: string): Promise<SessionRecord | undefined> {
    return returnedRows<SessionRecord>(await db.query(`SELECT ${COLUMNS} FROM paliadin_sessions s WHERE s.id = $1`, [id]))[0];
  },

  async list(db: Queryable, q: { userId?: string; status: 'active' | 'ended' | 'all'; limit: number }): Promise<SessionRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.userId) where.push(`s.user_id = $${params.push(q.userId)}`);
    if (q.status === 'active') where.push(`s.status = 'active'`);
    if (q.status === 'ended') where.push(`s.status <> 'active'`);
    params.push(q.limit);
    return returnedRows<SessionRecord>(
      await db.query(
        `SELECT ${COLUMNS} FROM paliadin_sessions s ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY s.created_at DESC, s.id LIMIT $${params.length}`,
        params,
      ),
    );
  },

  /** Creates an active session and its `session {status: active}` event; undefined when the name is taken (an active one). */
  async create(
    db: Queryable,
    s: {
      userId: string;
      name: string;
      agentSession: string;
      createdBy: string;
      backend: string;
      driver: string | null;
      workspace: string | null;
      expiresAt: Date | null;
      permissions?: SessionRules;
      clientTools?: ClientToolDeclaration[];
    },
  ): Promise<SessionRecord | undefined> {
    const [row] = returnedRows<{ id: string } | undefined>(
      await db.query(
        `WITH s AS (
           INSERT INTO paliadin_sessions (user_id, name, agent_session, created_by, backend, driver, workspace, expires_at, events_seq, permissions, client_tools)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10)
           ON CONFLICT (user_id, name) WHERE status = 'active' DO NOTHING
           RETURNING id, created_at
         ),
         ev AS (INSERT INTO paliadin_session_events (session_id, seq, kind, data)
                SELECT id, 1, 'session', jsonb_build_object('status', 'active', 'at', ${ISO('created_at')}, 'reason', 'created') FROM s)
         SELECT id FROM s`,
        [
          s.userId,
          s.name,
          s.agentSession,
          s.createdBy,
          s.backend,
          s.driver,
          s.workspace,
          s.expiresAt,
          s.permissions ? JSON.stringify(s.permissions) : null,
          s.clientTools ? JSON.stringify(s.clientTools) : null,
        ],
      ),
    );
    return row ? SessionStore.find(db, row.id) : undefined;
  },

  /** Ends an active session with `status`; false when it was not active. */
  async end(db: Queryable, id: string, status: Exclude<SessionStatus, 'active'>, reason: string): Promise<boolean> {
    const rows = returnedRows<unknown>(
      await db.query(
        `WITH s AS (
           UPDATE paliadin_sessions SET status = $2, ended_at = now(), events_seq = events_seq + 1
           WHERE id = $1 AND status = 'active' RETURNING id, events_seq, ended_at
         )
         INSERT INTO paliadin_session_events (session_id, seq, kind, data)
         SELECT id, events_seq, 'session', jsonb_build_object('status', $2::text, 'at', ${ISO('ended_at')}, 'reason', $3::text) FROM s
         RETURNING session_id`,
        [id, status, reason],
      ),
    );
    return rows.length === 1;
  },

  /** The rules granted on the session with `allow_always` (docs/requests.md#rules). */
  async grants(db: Queryable, id: string): Promise<string[]> {
    const [row] = returnedRows<{ grants: string[] } | undefined>(await db.query(`SELECT grants FROM paliadin_sessions WHERE id = $1`, [id]));
    return row?.grants ?? [];
  },

  /** Grants a rule for the rest of the session (once; an ended session keeps what it had). */
  async addGrant(db: Queryable, id: string, rule: string): Promise<void> {
    await db.query(`UPDATE paliadin_sessions SET grants = array_append(grants, $2) WHERE id = $1 AND status = 'active' AND NOT ($2 = ANY(grants))`, [id, rule]);
  },

  /** Ends the user's active default session, if there is one (a reset). */
  async endDefault(db: Queryable, userId: string, reason: string): Promise<void> {
    const [row] = returnedRows<{ id: string } | undefined>(
      await db.query(`SELECT id FROM paliadin_sessions WHERE user_id = $1 AND name = '${DEFAULT_SESSION_NAME}' AND status = 'active'`, [userId]),
    );
    if (row) await SessionStore.end(db, row.id, 'ended', reason);
  },
};
