import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The four tables of DESIGN section 5. */
export class Init1763740800000 implements MigrationInterface {
  name = 'Init1763740800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email text NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_seen_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name text NOT NULL,
        prefix text NOT NULL UNIQUE,
        hash text NOT NULL,
        scopes text[] NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        expires_at timestamptz,
        revoked_at timestamptz
      )`);
    await q.query(`CREATE INDEX api_keys_user_id_idx ON api_keys (user_id)`);
    await q.query(`
      CREATE TABLE paliadin_turns (
        turn_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        session_id text NOT NULL,
        backend text NOT NULL,
        started_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        user_message text NOT NULL,
        response text,
        error_code text,
        duration_ms integer,
        tokens integer,
        used_tools text[] NOT NULL DEFAULT '{}',
        rows_seen bigint[] NOT NULL DEFAULT '{}',
        chip_count integer NOT NULL DEFAULT 0,
        classifier_tag text,
        page_origin text,
        context jsonb,
        aichat_conversation_id text,
        runner_id text,
        heartbeat_at timestamptz
      )`);
    await q.query(`CREATE INDEX paliadin_turns_user_session_idx ON paliadin_turns (user_id, session_id, started_at)`);
    await q.query(`CREATE INDEX paliadin_turns_started_at_idx ON paliadin_turns (started_at)`);
    // The janitor and the in-flight counts look only at unfinished turns.
    await q.query(`CREATE INDEX paliadin_turns_unfinished_idx ON paliadin_turns (heartbeat_at) WHERE finished_at IS NULL`);
    await q.query(`
      CREATE TABLE paliadin_turn_events (
        turn_id uuid NOT NULL REFERENCES paliadin_turns(turn_id) ON DELETE CASCADE,
        seq integer NOT NULL,
        kind text NOT NULL,
        data jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (turn_id, seq)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE paliadin_turn_events`);
    await q.query(`DROP TABLE paliadin_turns`);
    await q.query(`DROP TABLE api_keys`);
    await q.query(`DROP TABLE users`);
  }
}
