import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each user's agent session names end in an 8-hex tag of their own
 * (`users.agent_tag`, docs/agent-protocol.md, "Sessions"): the first 8 hex
 * digits of their UUID, as before, unless another user already has those;
 * then the next 8 that nobody has. Two users whose UUIDs begin alike used
 * to share one agent session: one queue, one terminal, and the local
 * backend's stored conversation of the one resumed in the other's turns.
 *
 * A new user's tag is chosen as the row goes in (a trigger: every insert,
 * whoever makes it, gets one); the unique constraint settles two instances
 * choosing the same tag at once (the loser tries again). Existing users get
 * theirs oldest first, so of users who shared a name the first keeps it;
 * the others' active sessions are renamed to their new tag and forget the
 * shared conversation.
 */
export class AgentTags1765900000000 implements MigrationInterface {
  name = 'AgentTags1765900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users ADD COLUMN agent_tag text CONSTRAINT users_agent_tag_key UNIQUE`);
    await q.query(`
      CREATE FUNCTION paliadin_free_agent_tag(uid uuid) RETURNS text LANGUAGE plpgsql AS $fn$
      DECLARE
        hex text := replace(uid::text, '-', '');
        tag text;
      BEGIN
        FOR i IN 0..3 LOOP
          tag := substr(hex, i * 8 + 1, 8);
          IF NOT EXISTS (SELECT 1 FROM users u WHERE u.agent_tag = tag AND u.id <> uid) THEN
            RETURN tag;
          END IF;
        END LOOP;
        -- All four taken (among a million users, about 3 in 10^15 for each): the whole UUID is nobody else's.
        RETURN hex;
      END
      $fn$`);
    await q.query(`
      DO $$
      DECLARE r record;
      BEGIN
        FOR r IN SELECT id FROM users ORDER BY created_at, id LOOP
          UPDATE users SET agent_tag = paliadin_free_agent_tag(r.id) WHERE id = r.id;
        END LOOP;
      END
      $$`);
    // Sessions of users who lost a shared tag: `<prefix>-<old tag>` or `<prefix>-<old tag>-<name>` -> the new tag.
    await q.query(`
      UPDATE paliadin_sessions s
      SET agent_session = left(s.agent_session, -(8 + length(x.suffix))) || x.tag || x.suffix,
          agent_session_id = NULL, agent_session_at = clock_timestamp()
      FROM (
        SELECT t.id, u.agent_tag AS tag, CASE WHEN t.name = 'default' THEN '' ELSE '-' || t.name END AS suffix,
               left(replace(u.id::text, '-', ''), 8) AS first_tag
        FROM paliadin_sessions t JOIN users u ON u.id = t.user_id
        WHERE t.status = 'active'
      ) x
      WHERE s.id = x.id AND x.tag <> x.first_tag
        AND right(s.agent_session, 9 + length(x.suffix)) = '-' || x.first_tag || x.suffix`);
    await q.query(`ALTER TABLE users ALTER COLUMN agent_tag SET NOT NULL`);
    await q.query(`
      CREATE FUNCTION paliadin_users_agent_tag() RETURNS trigger LANGUAGE plpgsql AS $fn$
      BEGIN
        IF NEW.agent_tag IS NULL THEN
          NEW.agent_tag := paliadin_free_agent_tag(NEW.id);
        END IF;
        RETURN NEW;
      END
      $fn$`);
    await q.query(`CREATE TRIGGER paliadin_users_agent_tag BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION paliadin_users_agent_tag()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER paliadin_users_agent_tag ON users`);
    await q.query(`DROP FUNCTION paliadin_users_agent_tag()`);
    await q.query(`DROP FUNCTION paliadin_free_agent_tag(uuid)`);
    await q.query(`ALTER TABLE users DROP COLUMN agent_tag`);
  }
}
