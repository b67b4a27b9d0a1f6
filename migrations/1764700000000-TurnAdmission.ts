import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Turn admission in one round trip (docs/event-log.md, "Admission"): what
 * POST /api/paliadin/turn did in a transaction of five statements (the
 * per-user lock, the in-flight count, the session's count and `turn` event,
 * the row with its `meta` event, the claim) is one function, called with
 * every admission that arrived together. Each admission is checked under
 * its user's lock, in lock order (no two calls can deadlock), and each
 * statement sees what the ones before it committed or wrote, as the
 * transaction did. An admission that may not go in changes nothing and says
 * why: `inactive` (its named session is not active) or `full` (its user has
 * `cap` turns unfinished).
 */
export class TurnAdmission1764700000000 implements MigrationInterface {
  name = 'TurnAdmission1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION paliadin_admit_turns(admissions jsonb)
      RETURNS TABLE (turn_id uuid, outcome text, inflight int, claimed boolean, session_ref uuid)
      LANGUAGE plpgsql AS $fn$
      DECLARE
        a jsonb;
        uid uuid;
        ref uuid;
        ev_seq int;
        created boolean;
        created_at timestamptz;
      BEGIN
        FOR a IN
          SELECT e.value FROM jsonb_array_elements(admissions) WITH ORDINALITY AS e(value, ord)
          ORDER BY hashtext('paliadin-inflight:' || (e.value->>'user_id')), e.ord
        LOOP
          turn_id := (a->>'turn_id')::uuid;
          uid := (a->>'user_id')::uuid;
          ref := NULL;
          claimed := NULL;
          session_ref := NULL;
          -- The same lock as every other statement that counts a user's unfinished turns.
          PERFORM pg_advisory_xact_lock(hashtext('paliadin-inflight:' || (a->>'user_id')));
          SELECT count(*)::int INTO inflight FROM paliadin_turns t WHERE t.user_id = uid AND t.finished_at IS NULL;

          IF a->>'session_id' IS NOT NULL THEN
            IF inflight < (a->>'cap')::int THEN
              UPDATE paliadin_sessions s SET turns = s.turns + 1, last_activity_at = now(), events_seq = s.events_seq + 1
              WHERE s.id = (a->>'session_id')::uuid AND s.status = 'active'
              RETURNING s.id, s.events_seq, false, s.created_at INTO ref, ev_seq, created, created_at;
            ELSE
              SELECT s.id INTO ref FROM paliadin_sessions s WHERE s.id = (a->>'session_id')::uuid AND s.status = 'active';
            END IF;
            IF ref IS NULL THEN
              outcome := 'inactive';
              RETURN NEXT;
              CONTINUE;
            END IF;
          END IF;
          IF inflight >= (a->>'cap')::int THEN
            outcome := 'full';
            RETURN NEXT;
            CONTINUE;
          END IF;

          IF a->>'session_id' IS NULL THEN
            -- The user's default session, made on its first turn with its session {status: active} event.
            INSERT INTO paliadin_sessions AS s (user_id, name, agent_session, created_by, backend, driver, turns, events_seq)
            VALUES (uid, 'default', a->>'agent_session', a->>'user_id', a->>'backend', a->>'driver', 1, 2)
            ON CONFLICT (user_id, name) WHERE status = 'active'
            DO UPDATE SET turns = s.turns + 1, last_activity_at = now(), events_seq = s.events_seq + 1
            RETURNING s.id, s.events_seq, (s.xmax = 0), s.created_at INTO ref, ev_seq, created, created_at;
          END IF;
          IF created THEN
            INSERT INTO paliadin_session_events (session_id, seq, kind, data)
            VALUES (ref, 1, 'session', jsonb_build_object('status', 'active', 'at', to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'reason', 'created'));
          END IF;
          INSERT INTO paliadin_session_events (session_id, seq, kind, data) VALUES (ref, ev_seq, 'turn', a->'turn_event');

          -- Claimed as it goes in when nothing else of its agent session is unfinished (AgentSessionQueue has the rules).
          INSERT INTO paliadin_turns AS t (turn_id, user_id, session_id, backend, started_at, user_message, page_origin, context, runner_id,
                                           heartbeat_at, agent_session, session_ref, claimed_at, client_tools)
          VALUES (turn_id, uid, a->>'browser_session', a->>'backend', (a->>'started_at')::timestamptz, a->>'user_message', a->>'page_origin',
                  NULLIF(a->'context', 'null'::jsonb), a->>'runner_id', now(), a->>'agent_session', ref,
                  CASE WHEN NOT EXISTS (SELECT 1 FROM paliadin_turns o WHERE o.agent_session = a->>'agent_session' AND o.finished_at IS NULL)
                       THEN now() END,
                  NULLIF(a->'client_tools', 'null'::jsonb))
          RETURNING t.claimed_at IS NOT NULL INTO claimed;
          INSERT INTO paliadin_turn_events (turn_id, seq, kind, data) VALUES (turn_id, 1, 'meta', a->'meta');
          outcome := 'admitted';
          session_ref := ref;
          RETURN NEXT;
        END LOOP;
      END
      $fn$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION paliadin_admit_turns(jsonb)`);
  }
}
