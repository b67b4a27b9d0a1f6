import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The local backend reads and records an agent's conversation id on the
 * active session of its agent session name (src/backends/pg-agent-session-store.ts),
 * twice or more per turn. No index had that name: each statement read every
 * active session, and every user's default session stays active, so a turn
 * cost as much as the number of users. docs/database.md, "Statements under a
 * crowd".
 */
export class ActiveSessionsByAgentSession1765800000000 implements MigrationInterface {
  name = 'ActiveSessionsByAgentSession1765800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX paliadin_sessions_agent_session_idx ON paliadin_sessions (agent_session) WHERE status = 'active'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX paliadin_sessions_agent_session_idx`);
  }
}
