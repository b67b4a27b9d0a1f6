import type { DataSource } from 'typeorm';
import type { AgentSessionStore } from './local/agent-session-store.js';

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

  async get(agentSession: string): Promise<string | undefined> {
    const rows: { agent_session_id: string | null }[] = await this.ds.query(
      `SELECT agent_session_id FROM paliadin_agent_sessions WHERE agent_session = $1 AND backend = $2 AND driver = $3`,
      [agentSession, this.backend, this.driver],
    );
    return rows[0]?.agent_session_id ?? undefined;
  }

  async set(agentSession: string, agentSessionId: string): Promise<void> {
    await this.ds.query(
      `INSERT INTO paliadin_agent_sessions (agent_session, backend, driver, agent_session_id) VALUES ($1, $2, $3, $4)
       ON CONFLICT (agent_session) DO UPDATE SET backend = EXCLUDED.backend, driver = EXCLUDED.driver,
         agent_session_id = EXCLUDED.agent_session_id, updated_at = now()`,
      [agentSession, this.backend, this.driver, agentSessionId],
    );
  }

  async clear(agentSession: string): Promise<void> {
    await this.ds.query(`UPDATE paliadin_agent_sessions SET agent_session_id = NULL, updated_at = now() WHERE agent_session = $1`, [agentSession]);
  }
}
