import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { isolatedDatabase } from '../support/isolated-database.js';
import { startPipelineApp, type PipelineApp } from '../support/pipeline-app.js';
import { OWNER_EMAIL } from '../support/test-app.js';
import { tokenFor, userToken } from '../support/tokens.js';
import { rowCounts } from '../support/row-counts.js';

const NUL = 'a\u0000b';
const LONE_HIGH = 'a\uD800b';
const LONE_LOW = 'a\uDC00b';
const UUID = '00000000-0000-4000-8000-000000000000';

/** {"context": {"a": {"a": ... }}} nested `levels` deep, built as text (JSON.stringify would recurse too). */
const deepContext = (levels: number) => `{"user_message":"hi","context":${'{"a":'.repeat(levels)}"x"${'}'.repeat(levels)}}`;

describe('bad input is a 400 naming the field, never a 500, and stores nothing', () => {
  let p: PipelineApp;
  let db: { url: string; drop: () => Promise<void> };
  let sql: pg.Client;
  let auth: string;

  beforeAll(async () => {
    db = await isolatedDatabase();
    p = await startPipelineApp({ DATABASE_URL: db.url, PALIADIN_OWNER_EMAILS: OWNER_EMAIL });
    sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    auth = `Bearer ${await tokenFor(OWNER_EMAIL)}`;
    // The caller exists before the counting starts.
    expect((await p.http().get('/api/paliadin/history').set('Authorization', auth)).status).toBe(200);
  });
  afterAll(async () => {
    await sql?.end();
    await p?.app.close();
    await db?.drop();
  });

  const counts = () => rowCounts(sql);

  /** Sends, expects a 400 envelope whose message contains `expected`, and that nothing was stored. */
  const refused = async (send: () => Promise<{ status: number; body: unknown }>, expected: string) => {
    const before = await counts();
    const res = await send();
    expect({ status: res.status, body: res.body }).toEqual({
      status: 400,
      body: { statusCode: 400, error: 'Bad Request', message: expect.stringContaining(expected) },
    });
    expect(await counts()).toEqual(before);
  };
  const postTurn = (body: unknown) => () =>
    p
      .http()
      .post('/api/paliadin/turn')
      .set('Authorization', auth)
      .set('Content-Type', 'application/json')
      .send(body as string);

  describe('U+0000 and lone surrogates', () => {
    const fields: [string, (s: string) => object, string][] = [
      ['user_message', (s) => ({ user_message: s }), 'user_message must not contain'],
      ['session_id', (s) => ({ user_message: 'hi', session_id: s }), 'session_id must not contain'],
      ['page_origin', (s) => ({ user_message: 'hi', page_origin: s }), 'page_origin must not contain'],
      ...['page_origin', 'route_name', 'primary_entity_type', 'primary_entity_id', 'view_mode', 'filter_summary', 'user_selection_text'].map(
        (k): [string, (s: string) => object, string] => [`context.${k}`, (s) => ({ user_message: 'hi', context: { [k]: s } }), `context.${k} must not contain`],
      ),
      ['a context key', (s) => ({ user_message: 'hi', context: { [s]: 'x' } }), 'property name'],
    ];
    it.each(fields.flatMap(([name, body, msg]) => [NUL, LONE_HIGH, LONE_LOW].map((bad) => [name, JSON.stringify(bad), body(bad), msg] as const)))(
      'POST /turn with %s = %s',
      async (_name, _shown, body, msg) => {
        await refused(postTurn(JSON.stringify(body)), msg);
      },
    );

    it('says which character: NUL or an unpaired surrogate', async () => {
      await refused(postTurn(JSON.stringify({ user_message: NUL })), 'user_message must not contain U+0000 (NUL)');
      await refused(postTurn(JSON.stringify({ user_message: LONE_HIGH })), 'user_message must not contain an unpaired UTF-16 surrogate');
      // A correctly paired surrogate (an emoji) is fine.
      const ok = await postTurn(JSON.stringify({ user_message: 'Hallo 👋', context: { view_mode: '😀' } }))();
      expect(ok.status).toBe(200);
      await p.read(OWNER_EMAIL, ok.body.turn_id);
    });

    it('the history session query', async () => {
      await refused(() => p.http().get('/api/paliadin/history?session=a%00b').set('Authorization', auth), 'session must not contain U+0000');
    });

    it('a signed token whose email holds U+0000 or a lone surrogate: 401 naming the claim, on every route that needs login', async () => {
      for (const email of ['a\u0000b@example.com', 'a\uD800@example.com']) {
        const token = await userToken({ email });
        const before = await counts();
        for (const res of [
          await p.http().get('/api/paliadin/history').set('Authorization', `Bearer ${token}`),
          await p.http().post('/api/paliadin/turn').set('Authorization', `Bearer ${token}`).send({ user_message: 'hi' }),
          await p.http().post('/auth/session').set('Authorization', `Bearer ${token}`),
        ]) {
          expect(res.status).toBe(401);
          expect(res.body).toEqual({
            statusCode: 401,
            error: 'Unauthorized',
            message: expect.stringMatching(/^The token's email claim is unusable: it must not contain/),
          });
        }
        // Admin routes tell nobody they exist, not even what is wrong with a token.
        const admin = await p.http().get('/api/admin/paliadin/stats').set('Authorization', `Bearer ${token}`);
        expect(admin.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'Cannot GET /api/admin/paliadin/stats' });
        expect(await counts()).toEqual(before);
      }
    });

    it('a signed token whose email is too long for the users table: 401 naming the claim', async () => {
      const before = await counts();
      const res = await p
        .http()
        .get('/api/paliadin/history')
        .set('Authorization', `Bearer ${await userToken({ email: `${'a'.repeat(3000)}@example.com` })}`);
      expect(res.status).toBe(401);
      expect(res.body.message).toBe("The token's email claim is unusable: it must be an email address of at most 254 characters");
      expect(await counts()).toEqual(before);
    });

    it('a signed token whose sub is not a UUID: 401 naming the claim', async () => {
      const res = await p
        .http()
        .get('/api/paliadin/history')
        .set('Authorization', `Bearer ${await userToken({ sub: 'not-a-uuid' })}`);
      expect(res.status).toBe(401);
      expect(res.body.message).toBe("The token's sub claim is unusable: it must be a UUID");
    });
  });

  describe('a repeated query parameter', () => {
    it.each([
      ['/api/paliadin/history?session=a&session=b', 'session must be given once'],
      ['/api/paliadin/history?session=a&limit=1&limit=2', 'limit must be given once'],
      [`/api/paliadin/stream/${UUID}?last_event_id=1&last_event_id=2`, 'last_event_id must be given once'],
      ['/api/admin/paliadin/turns?limit=1&limit=2', 'limit must be given once'],
    ])('%s', async (url, message) => {
      await refused(() => p.http().get(url).set('Authorization', auth), message);
    });

    it('access_token on the stream route', async () => {
      const token = await tokenFor(OWNER_EMAIL);
      await refused(() => p.http().get(`/api/paliadin/stream/${UUID}?access_token=${token}&access_token=${token}`), 'access_token must be given once');
    });
  });

  describe('context is a flat object of strings', () => {
    it('8,000 levels (~48 KB) are refused before anything walks them', async () => {
      const body = deepContext(8_000);
      expect(body.length).toBeGreaterThan(40_000);
      await refused(postTurn(body), 'context.a must be a string, not an object or array');
    });

    it.each([
      [{ user_message: 'hi', context: { page_origin: { x: 1 } } }, 'context.page_origin must be a string, not an object or array'],
      [{ user_message: 'hi', context: { page_origin: ['x'] } }, 'context.page_origin must be a string, not an object or array'],
      [{ user_message: 'hi', context: { view_mode: 3 } }, 'context.view_mode must be a string'],
      [['user_message'], 'The request body must be a JSON object'],
    ])('%j', async (body, message) => {
      await refused(postTurn(JSON.stringify(body)), message);
    });
  });
});
