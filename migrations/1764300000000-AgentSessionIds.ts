import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The agent's own conversation id per agent session (the local stream-json
 * driver: Claude Code's session id), so that after a restart, or on another
 * instance, the conversation resumes instead of starting empty.
 */
export class AgentSessionIds1764300000000 implements MigrationInterface {
  name = 'AgentSessionIds1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE paliadin_agent_sessions (
        agent_session text PRIMARY KEY,
        backend text NOT NULL,
        driver text NOT NULL,
        agent_session_id text,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE paliadin_agent_sessions`);
  }
}
