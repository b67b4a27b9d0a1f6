import type { DataSource } from 'typeorm';
import type { AgentSessionStore, StoredConversation } from './local/agent-session-store.js';

// The conversation's version: when it was last recorded, to the microsecond, as text.
const VERSION = `(extract(epoch FROM agent_session_at) * 1000000)::bigint::text`;

/**
 * The local backend's conversation ids on the session rows
 * (`paliadin_sessions.agent_session_id`, shown on GET /api/sessions/:sid).
 * Only the active session of an agent session name counts: an ended one's
 * conversation is over, and a reset's new default session starts afresh.
 * An id recorded by another driver is not one this driver can resume.
 */
export class PgAgentSessionStore implements AgentSessionStore {
  constructor(
    private readonly ds: DataSource,
    private readonly driver: string,
  ) {}

  async get(agentSession: string): Promise<StoredConversation | undefined> {
    const rows: { id: string; version: string }[] = await this.ds.query(
      `SELECT agent_session_id AS id, ${VERSION} AS version FROM paliadin_sessions
       WHERE agent_session = $1 AND status = 'active' AND driver = $2 AND agent_session_id IS NOT NULL`,
      [agentSession, this.driver],
    );
    return rows[0];
  }

  async set(agentSession: string, id: string): Promise<string> {
    const rows: { version: string }[] = await this.ds.query(
      // A SELECT around the UPDATE: TypeORM answers a bare UPDATE with [rows, count].
      `WITH s AS (
         UPDATE paliadin_sessions SET agent_session_id = $2, driver = $3, agent_session_at = clock_timestamp()
         WHERE agent_session = $1 AND status = 'active'
         RETURNING agent_session_at
       ) SELECT ${VERSION} AS version FROM s`,
      [agentSession, id, this.driver],
    );
    // No active session (it ended while the turn ran): nothing to resume, and any version is behind.
    return rows[0]?.version ?? '0';
  }

  async clear(agentSession: string): Promise<void> {
    await this.ds.query(
      `UPDATE paliadin_sessions SET agent_session_id = NULL, agent_session_at = clock_timestamp() WHERE agent_session = $1 AND status = 'active'`,
      [agentSession],
    );
  }
}
