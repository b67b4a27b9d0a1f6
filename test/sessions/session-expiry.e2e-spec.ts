import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { isolatedDatabase } from '../support/isolated-database.js';
import { startPipelineApp, type PipelineApp } from '../support/pipeline-app.js';
import { tokenFor } from '../support/tokens.js';
import { waitUntil } from '../support/wait.js';

describe('session expiry', () => {
  let db: { url: string; drop: () => Promise<void> };
  let apps: PipelineApp[];
  beforeAll(async () => {
    db = await isolatedDatabase();
    const env = { DATABASE_URL: db.url, PALIADIN_JANITOR_INTERVAL_MS: '50' };
    apps = [await startPipelineApp(env), await startPipelineApp(env)];
    for (const p of apps) p.backend.script = () => [{ delay: 100_000, event: { type: 'done', response: 'never' } }];
  });
  afterAll(async () => {
    for (const p of apps) await p.app.close();
    await db.drop();
  });

  it('the janitor expires a session past expires_at on exactly one instance: running turn cancelled, agent stopped', async () => {
    const [a] = apps;
    const auth = `Bearer ${await tokenFor('brief@example.com')}`;
    const s = (await a.http().post('/api/sessions').set('Authorization', auth).send({ name: 'brief', expires_in: '2s' })).body;
    const turn = (await a.http().post(`/api/sessions/${s.id}/exec`).set('Authorization', auth).send({ input: 'lange Arbeit' })).body.turn_id as string;
    const ds = a.app.get(DataSource);
    await waitUntil(
      async () => (await a.http().get(`/api/sessions/${s.id}`).set('Authorization', auth)).body.status === 'expired',
      15_000,
      'the session to expire',
    );
    await waitUntil(
      async () => (await ds.query(`SELECT error_code FROM paliadin_turns WHERE turn_id = $1`, [turn]))[0].error_code === 'cancelled',
      10_000,
      'the running turn to be cancelled',
    );
    const events = await ds.query(`SELECT data->>'status' AS status FROM paliadin_session_events WHERE session_id = $1 AND kind = 'session' ORDER BY seq`, [
      s.id,
    ]);
    expect(events).toEqual([{ status: 'active' }, { status: 'expired' }]);
    // Stopped once, by the instance that ran the pass (after the row changed, so no new turn slips in);
    // these scripted agents do not live in an instance's process, so nobody else is told.
    const resets = () => apps.flatMap((p) => p.backend.resets).filter((r) => r === s.agent_session);
    await waitUntil(() => resets().length > 0, 10_000, 'the agent to be stopped');
    expect(apps.flatMap((p) => p.backend.resets).filter((r) => r === s.agent_session)).toHaveLength(1);
  });

  it("a local agent (in an instance's own process) is stopped on every instance, whichever one ends the session", async () => {
    const [a, b] = apps;
    for (const p of apps) (p.backend as { agentsPerInstance?: boolean }).agentsPerInstance = true;
    try {
      const auth = `Bearer ${await tokenFor('spread@example.com')}`;
      const s = (await a.http().post('/api/sessions').set('Authorization', auth).send({ name: 'spread' })).body;
      expect((await a.http().post(`/api/sessions/${s.id}/checkin`).set('Authorization', auth)).status).toBe(200);
      await waitUntil(() => b.backend.resets.includes(s.agent_session), 10_000, 'the other instance to stop its agent');
      expect(a.backend.resets.filter((r) => r === s.agent_session)).toHaveLength(1);
    } finally {
      for (const p of apps) (p.backend as { agentsPerInstance?: boolean }).agentsPerInstance = undefined;
    }
  });
});
