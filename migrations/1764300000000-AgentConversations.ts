import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When the agent's own conversation id of a session (`agent_session_id`,
 * the stream-json driver's Claude Code session) was last recorded: an
 * instance whose warm agent holds an older one knows the conversation moved
 * on elsewhere and resumes it as it stands (docs/local-drivers.md).
 */
export class AgentConversations1764300000000 implements MigrationInterface {
  name = 'AgentConversations1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE paliadin_sessions ADD COLUMN agent_session_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE paliadin_sessions DROP COLUMN agent_session_at`);
  }
}
