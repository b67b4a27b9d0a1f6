import type pg from 'pg';

/** How many rows every table holds: a refused request must change none of them. */
export async function rowCounts(sql: pg.Client): Promise<Record<string, number>> {
  const { rows } = await sql.query(
    `SELECT (SELECT count(*) FROM paliadin_turns)::int AS turns, (SELECT count(*) FROM paliadin_turn_events)::int AS events,
            (SELECT count(*) FROM users)::int AS users, (SELECT count(*) FROM api_keys)::int AS keys,
            (SELECT count(*) FROM paliadin_sessions)::int AS sessions, (SELECT count(*) FROM paliadin_session_events)::int AS session_events,
            (SELECT count(*) FROM paliadin_webhooks)::int AS webhooks, (SELECT count(*) FROM paliadin_webhook_messages)::int AS webhook_messages`,
  );
  return rows[0] as Record<string, number>;
}
