import type { DataSource } from 'typeorm';
import type { AgentSessionStore, StoredConversation } from './local/agent-session-store.js';

// The row's version: its last change, to the microsecond, as text.
const VERSION = `(extract(epoch FROM updated_at) * 1000000)::bigint::text`;

/**
 * The local backend's agent session ids in `paliadin_agent_sessions`, one row
 * per agent session, for one backend and driver: an id stored by another
 * driver is not one this driver can resume.
 */
export class PgAgentSessionStore implements AgentSessionStore {
  constructor(
    private readonly ds: DataSource,
    private readonly backend: string,
    private readonly driver: string,
  ) {}

  async get(agentSession: string): Promise<StoredConversation | undefined> {
    const rows: { id: string; version: string }[] = await this.ds.query(
      `SELECT agent_session_id AS id, ${VERSION} AS version FROM paliadin_agent_sessions
       WHERE agent_session = $1 AND backend = $2 AND driver = $3 AND agent_session_id IS NOT NULL`,
      [agentSession, this.backend, this.driver],
    );
    return rows[0];
  }

  async set(agentSession: string, id: string): Promise<string> {
    const rows: { version: string }[] = await this.ds.query(
      `INSERT INTO paliadin_agent_sessions AS s (agent_session, backend, driver, agent_session_id) VALUES ($1, $2, $3, $4)
       ON CONFLICT (agent_session) DO UPDATE SET backend = EXCLUDED.backend, driver = EXCLUDED.driver,
         agent_session_id = EXCLUDED.agent_session_id, updated_at = clock_timestamp()
       RETURNING ${VERSION.replace('updated_at', 's.updated_at')} AS version`,
      [agentSession, this.backend, this.driver, id],
    );
    return rows[0].version;
  }

  async clear(agentSession: string): Promise<void> {
    await this.ds.query(`UPDATE paliadin_agent_sessions SET agent_session_id = NULL, updated_at = clock_timestamp() WHERE agent_session = $1`, [agentSession]);
  }
}
