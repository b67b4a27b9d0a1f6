import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Agent sessions as rows (docs/sessions.md): one per agent session, each
 * user's default session included (created on its first use), so any
 * instance can list, drive and end them and they outlive a restart. Turns
 * point at their session; the session stream's own events (lifecycle, turn
 * starts) are numbered per session.
 */
export class Sessions1764200000000 implements MigrationInterface {
  name = 'Sessions1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE paliadin_sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name text NOT NULL,
        agent_session text NOT NULL,
        created_by text NOT NULL,
        backend text NOT NULL,
        driver text,
        workspace text,
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'ended', 'expired', 'terminated')),
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz,
        ended_at timestamptz,
        last_activity_at timestamptz NOT NULL DEFAULT now(),
        turns integer NOT NULL DEFAULT 0,
        agent_session_id text,
        events_seq integer NOT NULL DEFAULT 0
      )`);
    // One active session of a name per user; ended ones keep their name for the record.
    await q.query(`CREATE UNIQUE INDEX paliadin_sessions_active_name_idx ON paliadin_sessions (user_id, name) WHERE status = 'active'`);
    await q.query(`CREATE INDEX paliadin_sessions_user_idx ON paliadin_sessions (user_id, created_at)`);
    await q.query(`CREATE INDEX paliadin_sessions_expiry_idx ON paliadin_sessions (expires_at) WHERE status = 'active'`);
    await q.query(`ALTER TABLE paliadin_turns ADD COLUMN session_ref uuid REFERENCES paliadin_sessions(id) ON DELETE SET NULL`);
    await q.query(`CREATE INDEX paliadin_turns_session_ref_idx ON paliadin_turns (session_ref, started_at)`);
    await q.query(`
      CREATE TABLE paliadin_session_events (
        session_id uuid NOT NULL REFERENCES paliadin_sessions(id) ON DELETE CASCADE,
        seq integer NOT NULL,
        kind text NOT NULL,
        data jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (session_id, seq)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE paliadin_session_events`);
    await q.query(`ALTER TABLE paliadin_turns DROP COLUMN session_ref`);
    await q.query(`DROP TABLE paliadin_sessions`);
  }
}
