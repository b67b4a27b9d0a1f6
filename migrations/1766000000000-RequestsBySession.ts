import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `GET /api/sessions/:sid/requests` lists a session's newest requests, open
 * (the default) or all. The listing of all had no index: it read every
 * request of every session and sorted them. The open listing had one, but
 * under statistics taken while nothing was open the planner preferred the
 * index of every open request (`paliadin_requests_open_idx`) with the
 * session as a filter. Its index now says "open" as the statement does
 * (`num_nulls(resolved_at) = 1`, which the other index's `resolved_at IS
 * NULL` does not match) and `session_ref IS NOT NULL`, which only a
 * statement naming a session implies, so a turn's look at its own open
 * requests keeps to the turn's index. docs/database.md, "Statements under a
 * crowd".
 */
export class RequestsBySession1766000000000 implements MigrationInterface {
  name = 'RequestsBySession1766000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX paliadin_requests_session_idx ON paliadin_requests (session_ref, created_at, request_id)`);
    await q.query(`DROP INDEX paliadin_requests_session_open_idx`);
    await q.query(`
      CREATE INDEX paliadin_requests_session_open_idx ON paliadin_requests (session_ref, created_at, request_id)
      WHERE num_nulls(resolved_at) = 1 AND session_ref IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX paliadin_requests_session_open_idx`);
    await q.query(`CREATE INDEX paliadin_requests_session_open_idx ON paliadin_requests (session_ref, created_at) WHERE resolved_at IS NULL`);
    await q.query(`DROP INDEX paliadin_requests_session_idx`);
  }
}
