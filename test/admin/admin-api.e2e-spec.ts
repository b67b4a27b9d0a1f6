import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { ApiKeysService } from '../../src/auth/api-keys.service.js';
import { isolatedDatabase } from '../support/isolated-database.js';
import { startPipelineApp, type PipelineApp } from '../support/pipeline-app.js';
import { OWNER_EMAIL } from '../support/test-app.js';
import { subFor, tokenFor } from '../support/tokens.js';

const U1 = subFor('one@example.com');
const U2 = subFor('two@example.com');

// [label, user, session, backend, started this long ago, duration, error code, response, tools, tag, finished]
const SEED: [string, string, string, string, string, number | null, string | null, string | null, string[], string | null, boolean][] = [
  ['A', U1, 's1', 'local', '1 hour', 100, null, 'ok', ['Read', 'Grep'], 'case_lookup', true],
  ['B', U1, 's1', 'local', '2 hours', 200, 'timeout', null, ['Read'], null, true],
  ['C', U2, 's2', 'aichat', '3 hours', 300, null, 'ok', ['Read'], 'how_to', true],
  ['D', U2, 's3', 'aichat', '5 hours', 1000, 'upstream_error', null, [], 'how_to', true],
  ['E', U1, 's4', 'local', '30 minutes', null, null, null, [], null, false],
  ['F', U1, 's5', 'local', '2 days', 5000, null, 'ok', ['Bash'], 'case_lookup', true],
  ['G', U2, 's6', 'remote', '10 days', 50, 'shim_error', null, [], 'other', true],
  ['H', U1, 's7', 'local', '20 days', 10, null, 'ok', [], null, true],
];

describe('admin API', () => {
  let p: PipelineApp;
  let db: { url: string; drop: () => Promise<void> };
  const get = async (path: string, token?: string) =>
    p
      .http()
      .get(path)
      .set(token ? { Authorization: `Bearer ${token}` } : {});

  beforeAll(async () => {
    db = await isolatedDatabase();
    p = await startPipelineApp({ DATABASE_URL: db.url, PALIADIN_OWNER_EMAILS: OWNER_EMAIL });
  });
  afterAll(async () => {
    await p?.app.close();
    await db?.drop();
  });

  it('stats on an empty database: zeros, nulls and 14 empty days ending today (UTC)', async () => {
    const res = await get('/api/admin/paliadin/stats', await tokenFor(OWNER_EMAIL));
    expect(res.status).toBe(200);
    const today = new Date().toISOString().slice(0, 10);
    expect(res.body).toEqual({
      total_turns: 0,
      turns_24h: 0,
      turns_7d: 0,
      errors_24h: 0,
      error_rate_24h: 0,
      by_error_code: {},
      duration_ms: { p50: null, p95: null, max: null },
      by_classifier_tag: {},
      by_backend: {},
      top_tools: [],
      in_flight: 0,
      active_sessions: 0,
      sessions_active: 0,
      sessions_created_24h: 0,
      last_turn_at: null,
      requests_open: 0,
      requests_open_by_kind: {},
      requests_longest_wait_s: null,
      turns_per_day: expect.any(Array),
    });
    expect(res.body.turns_per_day).toHaveLength(14);
    expect(res.body.turns_per_day.at(-1)).toEqual({ day: today, turns: 0, errors: 0 });
    expect(res.body.turns_per_day.every((d: { turns: number; errors: number }) => d.turns === 0 && d.errors === 0)).toBe(true);
    expect((await get('/api/admin/paliadin/turns', await tokenFor(OWNER_EMAIL))).body).toEqual([]);
  });

  it('stats on a seeded database: counts, rate, percentiles, breakdowns and per-day buckets', async () => {
    const sql = p.app.get(DataSource);
    await sql.query(`INSERT INTO users (id, email) VALUES ($1, 'one@example.com'), ($2, 'two@example.com') ON CONFLICT DO NOTHING`, [U1, U2]);
    for (const [label, user, session, backend, ago, duration, code, response, tools, tag, finished] of SEED) {
      await sql.query(
        `INSERT INTO paliadin_turns (turn_id, user_id, session_id, backend, started_at, finished_at, user_message, response, error_code, duration_ms, used_tools, classifier_tag)
         VALUES (gen_random_uuid(), $1, $2, $3, now() - $4::interval, CASE WHEN $5 THEN now() - $4::interval + interval '1 second' END, $6, $7, $8, $9, $10, $11)`,
        [user, session, backend, ago, finished, `question ${label}`, response, code, duration, tools, tag],
      );
    }
    const s = (await get('/api/admin/paliadin/stats', await tokenFor(OWNER_EMAIL))).body;
    const [{ e }] = await sql.query(`SELECT started_at AS e FROM paliadin_turns WHERE user_message = 'question E'`);
    expect(s).toMatchObject({
      total_turns: 8,
      turns_24h: 5,
      turns_7d: 6,
      errors_24h: 2,
      error_rate_24h: 0.4,
      by_error_code: { timeout: 1, upstream_error: 1 },
      // 24 h durations 100, 200, 300, 1000: linear-interpolated percentiles
      duration_ms: { p50: 250, p95: 895, max: 1000 },
      by_classifier_tag: { case_lookup: 2, how_to: 2 },
      by_backend: { local: 4, aichat: 2 },
      top_tools: [
        { tool: 'Read', count: 3 },
        { tool: 'Bash', count: 1 },
        { tool: 'Grep', count: 1 },
      ],
      in_flight: 1,
      active_sessions: 4,
      last_turn_at: (e as Date).toISOString(),
    });
    // Agent sessions: two active (one created two days ago), one ended today.
    await sql.query(
      `INSERT INTO paliadin_sessions (user_id, name, agent_session, created_by, backend, status, created_at) VALUES
         ($1::uuid, 'a', 'x-a', $1::text, 'local', 'active', now()), ($1::uuid, 'b', 'x-b', $1::text, 'local', 'active', now() - interval '2 days'),
         ($2::uuid, 'c', 'x-c', $2::text, 'local', 'ended', now())`,
      [U1, U2],
    );
    expect((await get('/api/admin/paliadin/stats', await tokenFor(OWNER_EMAIL))).body).toMatchObject({ sessions_active: 2, sessions_created_24h: 2 });
    // Requests: two open (the older one waiting 90 s), one resolved.
    await sql.query(
      `INSERT INTO paliadin_requests (request_id, turn_id, user_id, kind, data, created_at, expires_at, resolved_at, resolved_by, outcome)
       SELECT gen_random_uuid(), t.turn_id, t.user_id, r.kind, '{}', now() - r.ago::interval, now() + interval '1 hour', r.resolved, r.by, r.outcome::jsonb
       FROM (SELECT turn_id, user_id FROM paliadin_turns LIMIT 1) t,
            (VALUES ('permission', '90 seconds', NULL::timestamptz, NULL, NULL),
                    ('question', '10 seconds', NULL, NULL, NULL),
                    ('permission', '1 hour', now(), 'user', '{"decision":"deny"}')) AS r(kind, ago, resolved, by, outcome)`,
    );
    const withRequests = (await get('/api/admin/paliadin/stats', await tokenFor(OWNER_EMAIL))).body;
    expect(withRequests).toMatchObject({ requests_open: 2, requests_open_by_kind: { permission: 1, question: 1 } });
    expect(withRequests.requests_longest_wait_s).toBeGreaterThanOrEqual(90);
    expect(withRequests.requests_longest_wait_s).toBeLessThan(120);
    // The per-day buckets, computed here from the stored times: UTC days, the last 14 up to today.
    const rows: { started_at: Date; error_code: string | null }[] = await sql.query(`SELECT started_at, error_code FROM paliadin_turns`);
    const days = s.turns_per_day as { day: string; turns: number; errors: number }[];
    const expected = days.map(({ day }) => {
      const on = rows.filter((r) => r.started_at.toISOString().slice(0, 10) === day);
      return { day, turns: on.length, errors: on.filter((r) => r.error_code).length };
    });
    expect(days).toEqual(expected);
    expect(days.reduce((n, d) => n + d.turns, 0)).toBe(7); // H is 20 days old
    expect(days.reduce((n, d) => n + d.errors, 0)).toBe(3);
    expect(new Date(`${days[0].day}T00:00:00Z`).getTime()).toBe(new Date(`${days[13].day}T00:00:00Z`).getTime() - 13 * 86_400_000);
  });

  it('the turn list: newest first, all users, with their email; limit default 50, max 500', async () => {
    const owner = await tokenFor(OWNER_EMAIL);
    const two = (await get('/api/admin/paliadin/turns?limit=2', owner)).body;
    expect(two.map((t: { user_message: string }) => t.user_message)).toEqual(['question E', 'question A']);
    expect(two[0]).toMatchObject({ user_id: U1, user_email: 'one@example.com', backend: 'local', finished_at: null, session_id: 's4' });
    expect((await get('/api/admin/paliadin/turns', owner)).body).toHaveLength(8);
    for (const bad of ['0', '501', 'abc', '2.5']) {
      const res = await get(`/api/admin/paliadin/turns?limit=${bad}`, owner);
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/limit/);
    }
    expect((await get('/api/admin/paliadin/turns?limit=500', owner)).status).toBe(200);
  });

  it('owners and admin keys only; everyone else, signed in or not, gets the unrouted 404', async () => {
    const keys = p.app.get(ApiKeysService);
    const admin = await keys.create({ userId: U2, email: 'two@example.com', name: 'ops', scopes: ['paliadin:admin'] });
    const root = await keys.create({ userId: U2, email: 'two@example.com', name: 'root', scopes: ['admin'] });
    const reader = await keys.create({ userId: U2, email: 'two@example.com', name: 'reader', scopes: ['paliadin:read'] });
    for (const path of ['/api/admin/paliadin/stats', '/api/admin/paliadin/turns']) {
      expect((await get(path, admin.key)).status).toBe(200);
      expect((await get(path, root.key)).status).toBe(200);
      for (const who of [reader.key, await tokenFor('two@example.com'), 'not-a-token', undefined]) {
        const res = await get(path, who);
        expect({ status: res.status, body: res.body }).toEqual({ status: 404, body: { statusCode: 404, error: 'Not Found', message: `Cannot GET ${path}` } });
      }
    }
    const unrouted = await get('/api/admin/paliadin/nothing-here');
    expect(unrouted.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'Cannot GET /api/admin/paliadin/nothing-here' });
  });
});
