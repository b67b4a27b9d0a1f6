import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import pg from 'pg';
import request from 'supertest';
import { ApiKeysService } from '../../src/auth/api-keys.service.js';
import { IdentityProvider } from '../support/identity-provider.js';
import { isolatedDatabase } from '../support/isolated-database.js';
import { startPipelineApp, type PipelineApp } from '../support/pipeline-app.js';
import { listRoutes, type RouteInfo } from '../support/routes.js';
import { OWNER_EMAIL } from '../support/test-app.js';
import { subFor, tokenFor, userToken } from '../support/tokens.js';
import { waitUntil } from '../support/wait.js';
import { rowCounts } from '../support/row-counts.js';

// Fixed, printed, and overridable (FUZZ_SEED=<n>) to replay a failure; bounded to stay well under a minute.
const SEED = Number(process.env.FUZZ_SEED ?? 1_207_2026);
const RUNS = Number(process.env.FUZZ_RUNS ?? 300);

/** One UTF-16 code unit, weighted towards what has broken things: NUL, lone surrogates, quotes, percent signs. */
const unit = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom('\u0000', '\uD800', '\uDBFF', '\uDC00', '\uDFFF', '"', '%', '\\', '\u202E', '😀') },
  { weight: 8, arbitrary: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) },
);
const text = fc.string({ unit, maxLength: 40 });
/** Any bytes, percent-encoded: NUL, invalid UTF-8 and encoded surrogates included. */
const encoded = fc.uint8Array({ maxLength: 12 }).map((bytes) => [...bytes].map((b) => `%${b.toString(16).padStart(2, '0')}`).join(''));
const plain = fc.stringMatching(/^[A-Za-z0-9._~-]{0,12}$/);

const QUERY_KEYS = ['session', 'limit', 'last_event_id', 'access_token', 'refresh', '__proto__', 'constructor', 'limit[x]', 'x'];
const query = fc
  .array(fc.tuple(fc.constantFrom(...QUERY_KEYS), fc.oneof(plain, encoded, fc.constantFrom('1', '0', '-1', '201', '1e3', '9'.repeat(20), 'a%00b'))), {
    maxLength: 4,
  })
  .map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${v}`).join('&'));

/** `{"context":{"a":{...}}}`-style nesting, written as text so that no generator recursion is needed. */
const deep = fc.integer({ min: 1, max: 3_000 }).map((n) => `{"user_message":"x","context":${'{"a":'.repeat(n)}"x"${'}'.repeat(n)}}`);
const CONTEXT_KEYS = ['page_origin', 'route_name', 'primary_entity_type', 'primary_entity_id', 'view_mode', 'filter_summary', 'user_selection_text', 'evil'];
const scalar = fc.oneof(text, fc.integer(), fc.boolean(), fc.constant(null));
const turnBody = fc.record(
  {
    user_message: fc.oneof(text, scalar),
    session_id: fc.oneof(text, scalar),
    page_origin: text,
    context: fc.oneof(fc.dictionary(fc.constantFrom(...CONTEXT_KEYS), fc.oneof(text, scalar, fc.array(text, { maxLength: 2 }))), scalar),
  },
  { requiredKeys: [] },
);
/** Mostly valid turn bodies, so that some requests get past validation and start turns. */
const goodText = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }).filter((t) => t.trim().length > 0);
/** Valid text, now and then with one character Postgres cannot store. */
const poisoned = fc.tuple(goodText, fc.constantFrom('\u0000', '\uD800', '\uDC00'), goodText).map((parts) => parts.join(''));
const field = fc.oneof({ weight: 4, arbitrary: goodText }, { weight: 1, arbitrary: poisoned });
const goodTurnBody = fc.record(
  {
    user_message: field,
    session_id: field,
    page_origin: field,
    context: fc.dictionary(fc.constantFrom(...CONTEXT_KEYS.slice(0, -1)), field, { maxKeys: 3 }),
  },
  { requiredKeys: ['user_message'] },
);
const body = fc.oneof(
  goodTurnBody.map((b) => JSON.stringify(b)),
  turnBody.map((b) => JSON.stringify(b)),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  deep,
  text,
  fc.constant(''),
);

interface Probe {
  route: RouteInfo;
  id: string;
  query: string;
  body: string;
  contentType: string;
  auth: number;
  lastEventId: string | undefined;
  requestId: string | undefined;
}

describe('every route, fuzzed: no 5xx, every 4xx an envelope, nothing stored for a refused request', () => {
  let p: PipelineApp;
  let db: { url: string; drop: () => Promise<void> };
  let sql: pg.Client;
  let routes: RouteInfo[];
  let credentials: (string | undefined)[];
  let knownTurn: string;

  // An identity provider too: its asymmetric tokens go through every route like the HS256 ones.
  const idp = new IdentityProvider();

  beforeAll(async () => {
    db = await isolatedDatabase();
    await idp.start();
    const kid = await idp.addKey('ES256');
    p = await startPipelineApp({
      DATABASE_URL: db.url,
      PALIADIN_JWT_JWKS_URL: idp.jwksUrl,
      PALIADIN_JWT_ISSUER: idp.issuer,
      PALIADIN_JWT_AUDIENCE: 'paliadin',
      PALIADIN_OWNER_EMAILS: `${OWNER_EMAIL},idp-owner@example.com`,
      PALIADIN_POST_RATE_LIMIT: '1000000',
      PALIADIN_MAX_INFLIGHT_PER_USER: '1000',
    });
    sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    routes = listRoutes(p.app);
    const { key } = await p.app.get(ApiKeysService).create({ userId: subFor(OWNER_EMAIL), email: OWNER_EMAIL, name: 'fuzz', scopes: ['admin'] });
    credentials = [
      undefined,
      await tokenFor(OWNER_EMAIL),
      await tokenFor('not-an-owner@example.com'),
      key,
      `pal_000000000000_${'A'.repeat(43)}`,
      await userToken({ email: 'nul\u0000@example.com' }),
      'not.a.jwt',
      await idp.token({ email: 'idp-owner@example.com' }, { kid }),
      await idp.token({ email: 'idp-stranger@example.com' }, { kid }),
      await idp.token({ sub: 'google-oauth2|1234567890', email: 'idp-google@example.com' }, { kid }),
      await idp.token({ email: 'idp-owner@example.com' }, { kid, expiresIn: -3600 }),
      await idp.token({ email: 'idp-owner@example.com' }, { headerKid: 'unknown-kid' }),
    ];
    // Every user a valid token names exists before the counting starts (signing in records a user).
    for (const c of credentials)
      await p
        .http()
        .get('/api/paliadin/history')
        .set(c ? { Authorization: `Bearer ${c}` } : {});
    knownTurn = await p.ask(OWNER_EMAIL);
    await p.read(OWNER_EMAIL, knownTurn);
  });
  afterAll(async () => {
    await sql?.end();
    await p?.app.close();
    await idp.stop();
    await db?.drop();
  });

  const counts = () => rowCounts(sql);
  // A turn a fuzzed request started finishes on its own; its events must not be counted against the next request.
  const settled = () =>
    waitUntil(async () => (await sql.query('SELECT 1 FROM paliadin_turns WHERE finished_at IS NULL')).rowCount === 0, 10_000, 'turns to finish');

  const send = (probe: Probe) => {
    const path = probe.route.path.replace(/:[A-Za-z_]+/g, probe.id === 'known' ? knownTurn : probe.id);
    const url = probe.query ? `${path}?${probe.query}` : path;
    const headers: Record<string, string> = { 'Content-Type': probe.contentType };
    const credential = credentials[probe.auth];
    if (credential) headers.Authorization = `Bearer ${credential}`;
    if (probe.lastEventId !== undefined) headers['Last-Event-ID'] = probe.lastEventId;
    if (probe.requestId !== undefined) headers['X-Request-Id'] = probe.requestId;
    const r = request(p.app.getHttpServer())[probe.route.method.toLowerCase() as 'get'](url).set(headers);
    return ['POST', 'PUT', 'PATCH', 'DELETE'].includes(probe.route.method) ? r.send(probe.body) : r;
  };

  it('holds for generated paths, ids, query strings, bodies and headers', async () => {
    process.stdout.write(`fuzz-routes: seed ${SEED}, ${RUNS} runs over ${routes.length} routes (FUZZ_SEED=${SEED} replays)\n`);
    const probe = fc.record<Probe>({
      route: fc.constantFrom(...routes),
      id: fc.oneof(fc.constant('known'), fc.uuid(), plain, encoded),
      query,
      body,
      contentType: fc.oneof({ weight: 6, arbitrary: fc.constant('application/json') }, fc.constantFrom('text/plain', 'application/x-www-form-urlencoded')),
      // Mostly the owner, whose requests get past the guard to the input checks.
      auth: fc.oneof({ weight: 4, arbitrary: fc.constant(1) }, fc.integer({ min: 0, max: credentials.length - 1 })),
      lastEventId: fc.option(fc.oneof(plain, fc.constantFrom('-1', '1.5', '99999999999', '1, 2')), { nil: undefined }),
      requestId: fc.option(fc.stringMatching(/^[\x21-\x7e]{0,40}$/), { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(probe, async (pr) => {
        const before = await counts();
        const res = await send(pr);
        // fast-check prints the shrunk probe of a failure; the route and body say what answered.
        if (res.status >= 500) throw new Error(`${pr.route.method} ${pr.route.path} answered ${res.status}: ${JSON.stringify(res.body)}`);
        if (res.status >= 400) {
          expect(res.body).toEqual({ statusCode: res.status, error: expect.any(String), message: expect.any(String) });
          expect(await counts()).toEqual(before);
        } else {
          await settled();
        }
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
  });
});
