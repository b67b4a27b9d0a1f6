import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ApiKeysService } from '../../src/auth/api-keys.service.js';
import { isolatedDatabase } from '../support/isolated-database.js';
import { startPipelineApp, type PipelineApp } from '../support/pipeline-app.js';
import { readSse } from '../support/sse-client.js';
import { userToken } from '../support/tokens.js';
import { waitUntil } from '../support/wait.js';

const PREFIX = 'paliad-paliadin';
/** User ids that all begin with the same 8 hex digits, as two of a few thousand users' UUIDs will. */
const alike = (first8: string) => `${first8}${randomUUID().slice(8)}`;
/** The n-th group of 8 hex digits of a UUID (0: the first). */
const hex8 = (id: string, n: number) => id.replace(/-/g, '').slice(n * 8, n * 8 + 8);

interface Session {
  name: string;
  agent_session: string;
}
interface SessionList {
  sessions: Session[];
}

describe('agent tags: users whose UUIDs begin alike never share an agent session', () => {
  let db: { url: string; drop: () => Promise<void> };
  let p: PipelineApp;
  let other: PipelineApp;
  let ds: DataSource;
  const token = (sub: string) => userToken({ sub, email: `${sub}@example.com` });
  const bearer = async (sub: string) => `Bearer ${await token(sub)}`;
  const ask = async (sub: string, body: object = { user_message: 'Hallo' }, app = p) => {
    const res = await app
      .http()
      .post('/api/paliadin/turn')
      .set('Authorization', await bearer(sub))
      .send(body);
    expect(res.status).toBe(200);
    await readSse(app.url, `/api/paliadin/stream/${res.body.turn_id as string}`, { token: await token(sub) });
    return res.body.turn_id as string;
  };
  /** GET /api/sessions as `sub`, or with a body, POST (a new session). */
  const sessions = async (sub: string, create?: object, app = p) => {
    const auth = await bearer(sub);
    return create ? app.http().post('/api/sessions').set('Authorization', auth).send(create) : app.http().get('/api/sessions').set('Authorization', auth);
  };
  const agentSessionOf = (turnId: string) => p.backend.started.find((r) => r.turnId === turnId)?.agentSession;
  const tagOf = async (id: string) => (await ds.query<{ agent_tag: string }[]>(`SELECT agent_tag FROM users WHERE id = $1`, [id]))[0]?.agent_tag;

  beforeAll(async () => {
    db = await isolatedDatabase();
    p = await startPipelineApp({ DATABASE_URL: db.url });
    other = await startPipelineApp({ DATABASE_URL: db.url });
    ds = p.app.get(DataSource);
  });
  afterAll(async () => {
    await other.app.close();
    await p.app.close();
    await db.drop();
  });

  it('the second user gets the next 8 hex digits of their UUID: default and named sessions, resets and API keys go by them', async () => {
    const first8 = randomBytes(4).toString('hex');
    const [ann, ben] = [alike(first8), alike(first8)];
    const annTurn = await ask(ann);
    const benTurn = await ask(ben);
    expect([agentSessionOf(annTurn), agentSessionOf(benTurn)]).toEqual([`${PREFIX}-${first8}`, `${PREFIX}-${hex8(ben, 1)}`]);
    expect([await tagOf(ann), await tagOf(ben)]).toEqual([first8, hex8(ben, 1)]);

    // Their default sessions, as the API lists them, and a named session of the same name each.
    const defaults = await Promise.all([ann, ben].map(async (sub) => ((await sessions(sub)).body as SessionList).sessions));
    expect(defaults.map((list) => list.find((s) => s.name === 'default')?.agent_session)).toEqual([`${PREFIX}-${first8}`, `${PREFIX}-${hex8(ben, 1)}`]);
    const named = await Promise.all([ann, ben].map(async (sub) => (await sessions(sub, { name: 'work' })).body as Session));
    expect(named.map((s) => s.agent_session)).toEqual([`${PREFIX}-${first8}-work`, `${PREFIX}-${hex8(ben, 1)}-work`]);

    // Ben's reset ends Ben's agent, not Ann's.
    expect(
      (
        await p
          .http()
          .post('/api/paliadin/reset')
          .set('Authorization', await bearer(ben))
      ).status,
    ).toBe(200);
    expect(p.backend.resets.at(-1)).toBe(`${PREFIX}-${hex8(ben, 1)}`);

    // An API key acts with its user's tag.
    const key = await p.app.get(ApiKeysService).create({ userId: ben, email: `${ben}@example.com`, name: 'k', scopes: ['paliadin:turn'] });
    const viaKey = await p.http().post('/api/paliadin/turn').set('Authorization', `Bearer ${key.key}`).send({ user_message: 'per Schlüssel' });
    expect(viaKey.status).toBe(200);
    await waitUntil(() => agentSessionOf(viaKey.body.turn_id as string) !== undefined, 10_000, 'the key turn to reach the backend');
    expect(agentSessionOf(viaKey.body.turn_id as string)).toBe(`${PREFIX}-${hex8(ben, 1)}`);
  });

  it('a crowd of new users that begin alike, on two instances at once: a tag each, the same on both', async () => {
    const first8 = randomBytes(4).toString('hex');
    const subs = Array.from({ length: 12 }, () => alike(first8));
    const answers = await Promise.all(
      subs.flatMap((sub) =>
        [p, other].map(
          async (app) =>
            (
              await app
                .http()
                .get('/api/sessions')
                .set('Authorization', await bearer(sub))
            ).status,
        ),
      ),
    );
    expect(answers).toEqual(subs.flatMap(() => [200, 200]));
    const tags = await Promise.all(subs.map(tagOf));
    expect(new Set(tags).size).toBe(subs.length);
    expect(tags.filter((t) => t === first8)).toHaveLength(1);
    // Each instance starts the user's turns under the tag the database chose.
    const turns = await Promise.all(subs.slice(0, 3).map((sub, i) => ask(sub, { user_message: `von ${i}` }, i % 2 ? other : p)));
    const started = [...p.backend.started, ...other.backend.started];
    expect(turns.map((id) => started.find((r) => r.turnId === id)?.agentSession)).toEqual(tags.slice(0, 3).map((t) => `${PREFIX}-${t}`));
  });

  it('a tag taken by a transaction not yet committed: the new user waits for it, then takes the next', async () => {
    const first8 = randomBytes(4).toString('hex');
    const [held, late] = [alike(first8), alike(first8)];
    const runner = ds.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      await runner.query(`INSERT INTO users (id, email) VALUES ($1, $2)`, [held, `${held}@example.com`]);
      // The late user's upsert cannot see the row yet, chooses the same tag, and waits on the unique index.
      const pending = sessions(late);
      await waitUntil(
        async () => (await ds.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted AND locktype = 'transactionid'`))[0].n > 0,
        30_000,
        "the late user's insert to wait for the open one",
      );
      await runner.commitTransaction();
      expect((await pending).status).toBe(200);
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      await runner.release();
    }
    expect([await tagOf(held), await tagOf(late)]).toEqual([first8, hex8(late, 1)]);
  });
});
