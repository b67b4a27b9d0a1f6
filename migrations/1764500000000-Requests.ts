import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Requests (docs/requests.md): what the agent asked the caller (a
 * permission, a question, a client tool call), stored before anyone sees
 * it, and how it was resolved, so any instance can list and answer it and
 * nothing is lost on a restart. Sessions get the permission rules and
 * client tools declared at their creation, and the rules their users
 * granted with `allow_always`.
 */
export class Requests1764500000000 implements MigrationInterface {
  name = 'Requests1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE paliadin_requests (
        request_id uuid PRIMARY KEY,
        turn_id uuid NOT NULL REFERENCES paliadin_turns(turn_id) ON DELETE CASCADE,
        session_ref uuid REFERENCES paliadin_sessions(id) ON DELETE SET NULL,
        user_id uuid NOT NULL,
        kind text NOT NULL CHECK (kind IN ('permission', 'question', 'client_tool')),
        data jsonb NOT NULL,
        -- What the driver needs back beyond the outcome (a permission's grant rule); never shown.
        grant_rule text,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        resolved_at timestamptz,
        resolved_by text CHECK (resolved_by IN ('user', 'api_key', 'timeout', 'cancel', 'interrupted')),
        -- Who answered: the user id, or the API key id.
        answered_by text,
        outcome jsonb,
        -- The answer as the caller posted it (a client tool's output), for the agent and for retries.
        answer jsonb
      )`);
    await q.query(`CREATE INDEX paliadin_requests_turn_idx ON paliadin_requests (turn_id, created_at)`);
    await q.query(`CREATE INDEX paliadin_requests_session_open_idx ON paliadin_requests (session_ref, created_at) WHERE resolved_at IS NULL`);
    await q.query(`CREATE INDEX paliadin_requests_open_idx ON paliadin_requests (created_at) WHERE resolved_at IS NULL`);
    await q.query(`ALTER TABLE paliadin_sessions ADD COLUMN permissions jsonb, ADD COLUMN client_tools jsonb, ADD COLUMN grants text[] NOT NULL DEFAULT '{}'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE paliadin_sessions DROP COLUMN permissions, DROP COLUMN client_tools, DROP COLUMN grants`);
    await q.query(`DROP TABLE paliadin_requests`);
  }
}
