import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { MetricsService } from '../../src/metrics/metrics.service.js';
import { TurnAdmissions, type Admission, type AdmissionOutcome } from '../../src/paliadin/turn-admissions.js';
import { isolatedDatabase } from '../support/isolated-database.js';
import { startPipelineApp, type PipelineApp } from '../support/pipeline-app.js';

/**
 * Admissions that arrive together go to Postgres together (docs/event-log.md,
 * "Admission"), and each is checked as if it came alone: the per-user cap,
 * the claim of the first turn of an agent session, what the row, its meta
 * event and its session record.
 */
describe('turn admissions', () => {
  let p: PipelineApp;
  let db: DataSource;
  let admissions: TurnAdmissions;
  const CAP = 2;

  // A database of its own: the turns put in directly have no run, and no other test's janitor may take them over.
  let own: { url: string; drop: () => Promise<void> };

  beforeAll(async () => {
    own = await isolatedDatabase();
    p = await startPipelineApp({ DATABASE_URL: own.url, PALIADIN_MAX_INFLIGHT_PER_USER: String(CAP) });
    db = p.app.get(DataSource);
    admissions = p.app.get(TurnAdmissions);
  });
  afterAll(async () => {
    await p?.app.close();
    await own?.drop();
  });

  async function newUser(): Promise<string> {
    const id = randomUUID();
    await db.query(`INSERT INTO users (id, email) VALUES ($1, $2)`, [id, `adm-${id}@example.com`]);
    return id;
  }

  const admission = (userId: string, message = 'hallo'): Admission => ({
    turnId: randomUUID(),
    userId,
    agentSession: `adm-test-${userId}`,
    backend: 'scripted',
    driver: null,
    browserSession: randomUUID(),
    startedAt: new Date(),
    userMessage: message,
    pageOrigin: null,
    context: null,
    runnerId: `adm-test-runner-${randomUUID()}`,
    cap: CAP,
    clientTools: null,
  });

  /** The number of calls to Postgres so far, from the histogram operators see. */
  async function calls(): Promise<number> {
    const text = await p.app.get(MetricsService).registry.getSingleMetricAsString('paliadin_turn_admissions_per_call');
    return Number(/^paliadin_turn_admissions_per_call_count (\d+)$/m.exec(text)?.[1] ?? 0);
  }

  it('twenty at once go in a few calls; each user gets exactly its cap, in the order they came, the first claimed', async () => {
    const users = await Promise.all(Array.from({ length: 5 }, () => newUser()));
    const before = await calls();
    // Four admissions per user, all in one tick: four calls start, the rest wait and go together
    // (a user's later ones after its first, so they go in in the order they came).
    const sent = users.flatMap((u) => [1, 2, 3, 4].map((n) => admission(u, `nachricht ${n}`)));
    const outcomes = await Promise.all(sent.map((a) => admissions.admit(a)));
    expect((await calls()) - before).toBeLessThanOrEqual(10);

    for (const u of users) {
      const mine = sent.map((a, i) => [a, outcomes[i]] as [Admission, AdmissionOutcome]).filter(([a]) => a.userId === u);
      expect(mine.map(([, o]) => o.outcome)).toEqual(['admitted', 'admitted', 'full', 'full']);
      expect(mine[2][1]).toEqual({ outcome: 'full', inflight: CAP });
      const admitted = mine.slice(0, 2);
      expect(admitted.map(([, o]) => o.outcome === 'admitted' && o.claimed)).toEqual([true, false]);

      const rows: { turn_id: string; user_message: string; claimed: boolean; meta: { turn_id: string } }[] = await db.query(
        `SELECT t.turn_id, t.user_message, t.claimed_at IS NOT NULL AS claimed, e.data AS meta
         FROM paliadin_turns t JOIN paliadin_turn_events e ON e.turn_id = t.turn_id AND e.seq = 1 AND e.kind = 'meta'
         WHERE t.user_id = $1 ORDER BY t.queue_seq`,
        [u],
      );
      expect(rows.map((r) => [r.turn_id, r.user_message, r.claimed, r.meta.turn_id])).toEqual(
        admitted.map(([a], i) => [a.turnId, a.userMessage, i === 0, a.turnId]),
      );
      const [session]: { turns: number; events: { seq: number; kind: string; turn_id?: string }[] }[] = await db.query(
        `SELECT s.turns, (SELECT json_agg(json_build_object('seq', e.seq, 'kind', e.kind, 'turn_id', e.data->>'turn_id') ORDER BY e.seq)
                          FROM paliadin_session_events e WHERE e.session_id = s.id) AS events
         FROM paliadin_sessions s WHERE s.user_id = $1`,
        [u],
      );
      expect(session.turns).toBe(2);
      expect(session.events).toEqual([
        { seq: 1, kind: 'session', turn_id: null },
        { seq: 2, kind: 'turn', turn_id: admitted[0][0].turnId },
        { seq: 3, kind: 'turn', turn_id: admitted[1][0].turnId },
      ]);
    }
  });

  it('an admission Postgres refuses fails alone: the ones that went with it are in', async () => {
    const users = await Promise.all(Array.from({ length: 6 }, () => newUser()));
    const before = await calls();
    // Four users' admissions go alone; the next three go together, the middle one for a user that does not exist.
    const sent = [...users.slice(0, 4).map((u) => admission(u)), admission(users[4]), admission(randomUUID()), admission(users[5])];
    const settled = await Promise.allSettled(sent.map((a) => admissions.admit(a)));
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(settled.filter((s) => s.status === 'fulfilled').every((s) => s.value.outcome === 'admitted')).toBe(true);
    // Eight calls: four alone, the three together (refused), then each of the three again.
    expect((await calls()) - before).toBe(8);
    const stored: { n: number }[] = await db.query(`SELECT count(*)::int AS n FROM paliadin_turns WHERE turn_id = ANY($1::uuid[])`, [
      sent.map((a) => a.turnId),
    ]);
    expect(stored[0].n).toBe(6);
  });

  it('a named session that is not active: inactive, and nothing is stored', async () => {
    const u = await newUser();
    const [{ id }]: { id: string }[] = await db.query(
      `INSERT INTO paliadin_sessions (user_id, name, agent_session, created_by, backend, status, ended_at) VALUES ($1, 'alt', $2, $3, 'scripted', 'ended', now()) RETURNING id`,
      [u, `adm-test-ended-${u}`, u],
    );
    const a = { ...admission(u), sessionId: id };
    expect(await admissions.admit(a)).toEqual({ outcome: 'inactive' });
    expect((await db.query(`SELECT count(*)::int AS n FROM paliadin_turns WHERE turn_id = $1`, [a.turnId]))[0].n).toBe(0);
    expect((await db.query(`SELECT turns, events_seq FROM paliadin_sessions WHERE id = $1`, [id]))[0]).toEqual({ turns: 0, events_seq: 0 });
  });

  it('over HTTP, a crowd of users posting at once: each gets its cap and 429s beyond it, nobody a 5xx', async () => {
    p.backend.script = () => [{ delay: 100_000, event: { type: 'done', response: 'slow' } }];
    const emails = Array.from({ length: 12 }, (_, i) => `adm-crowd-${i}-${randomUUID()}@example.com`);
    const auths = await Promise.all(emails.map((e) => p.auth(e)));
    const posts = await Promise.all(
      auths.flatMap((auth) =>
        [1, 2, 3].map(async () => ({ auth, res: await p.http().post('/api/paliadin/turn').set('Authorization', auth).send({ user_message: 'los' }) })),
      ),
    );
    for (const auth of auths) {
      expect(
        posts
          .filter((x) => x.auth === auth)
          .map((x) => x.res.status)
          .sort(),
      ).toEqual([200, 200, 429]);
    }
    const admitted = posts.filter((x) => x.res.status === 200);
    await Promise.all(admitted.map((x) => p.http().post(`/api/paliadin/turns/${x.res.body.turn_id}/cancel`).set('Authorization', x.auth)));
  });
});
