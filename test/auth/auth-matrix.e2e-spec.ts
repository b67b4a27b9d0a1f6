import { generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { ApiKeysService } from '../../src/auth/api-keys.service.js';
import { IdentityProvider } from '../support/identity-provider.js';
import { AdminProbeController, PaliadinProbeController } from '../support/probe-controllers.js';
import { OWNER_EMAIL, startTestApp } from '../support/test-app.js';
import { subFor, tokenFor, userToken } from '../support/tokens.js';
import { waitUntil } from '../support/wait.js';

const PROBE = '/api/paliadin/probe';
const ADMIN_PROBE = '/api/admin/paliadin/probe';
// Same length as PROBE, so an identical 404 means identical bytes, Content-Length included.
const UNROUTED = '/api/paliadin/prxbe';
const VOLATILE = ['date', 'x-request-id', 'etag'];

function comparable(res: request.Response, path: string) {
  const headers = Object.fromEntries(Object.entries(res.headers).filter(([k]) => !VOLATILE.includes(k)));
  return { status: res.status, headers, body: JSON.stringify(res.body).replace(path, '<path>') };
}

describe('auth matrix', () => {
  let app: INestApplication;
  let http: ReturnType<typeof request>;
  let keys: ApiKeysService;
  // Asymmetric user tokens beside the HS256 ones: an identity provider publishing its keys on 127.0.0.1.
  const idp = new IdentityProvider();

  beforeAll(async () => {
    await idp.start();
    await idp.addKey('RS256');
    ({ app } = await startTestApp({
      controllers: [PaliadinProbeController, AdminProbeController],
      env: { PALIADIN_JWT_JWKS_URL: idp.jwksUrl, PALIADIN_JWT_ISSUER: idp.issuer, PALIADIN_JWT_AUDIENCE: 'paliadin' },
    }));
    http = request(app.getHttpServer());
    keys = app.get(ApiKeysService);
  });
  afterAll(async () => {
    await app?.close();
    await idp.stop();
  });

  // What every user token must hold to, for both kinds.
  describe.each([
    ['HS256 with the shared secret', (email: string, expiresIn?: number) => userToken({ email, sub: subFor(email), expiresIn })],
    ["RS256 by a key of the identity provider's JWKS", (email: string, expiresIn?: number) => idp.token({ email }, { expiresIn })],
  ])('user tokens: %s', (_kind, mint) => {
    it('the owner passes, as the user the claims name', async () => {
      const res = await get(PROBE, await mint(OWNER_EMAIL));
      expect(res.body).toEqual({ userId: subFor(OWNER_EMAIL), email: OWNER_EMAIL, via: 'jwt' });
      expect((await get(ADMIN_PROBE, await mint(OWNER_EMAIL))).status).toBe(200);
    });

    it('a stranger gets the unrouted 404 on Paliadin and admin routes', async () => {
      const token = await mint('stranger@example.com');
      expect(comparable(await get(PROBE, token), PROBE)).toEqual(comparable(await get(UNROUTED, token), UNROUTED));
      expect((await get(ADMIN_PROBE, token)).status).toBe(404);
    });

    it('expired or with a forged signature: 401 (on admin routes the unrouted 404)', async () => {
      const expired = await mint(OWNER_EMAIL, -3600);
      expect((await get(PROBE, expired)).status).toBe(401);
      expect((await get(ADMIN_PROBE, expired)).status).toBe(404);
      const [header, payload, signature] = (await mint(OWNER_EMAIL)).split('.');
      const forged = `${header}.${payload}.${signature.slice(0, -6)}${signature.endsWith('AAAAAA') ? 'BBBBBB' : 'AAAAAA'}`;
      expect((await get(PROBE, forged)).status).toBe(401);
    });

    it('the stream route takes it from the cookie POST /auth/session sets, and from access_token', async () => {
      const token = await mint(OWNER_EMAIL);
      const signedIn = await http.post('/auth/session').set('Authorization', `Bearer ${token}`);
      expect(signedIn.status).toBe(200);
      const cookie = signedIn.headers['set-cookie'][0].split(';')[0];
      expect((await http.get(`${PROBE}/stream`).set('Cookie', cookie)).status).toBe(200);
      expect((await http.get(`${PROBE}/stream`).query({ access_token: token })).status).toBe(200);
      expect((await http.get(PROBE).set('Cookie', cookie)).status).toBe(401);
    });
  });

  const get = (path: string, token?: string) => {
    const r = http.get(path);
    return token ? r.set('Authorization', `Bearer ${token}`) : r;
  };

  describe('bearer JWT', () => {
    it('401 without a token', async () => {
      const res = await get(PROBE);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'A valid bearer token or API key is required' });
    });

    it('401 for a malformed Authorization header', async () => {
      expect((await http.get(PROBE).set('Authorization', 'Basic abc')).status).toBe(401);
      expect((await http.get(PROBE).set('Authorization', 'Bearer')).status).toBe(401);
      expect((await get(PROBE, 'not.a.jwt')).status).toBe(401);
    });

    it('401 for a bad signature', async () => {
      const token = await userToken({ email: OWNER_EMAIL, secret: new TextEncoder().encode('another-secret-another-secret-xx') });
      expect((await get(PROBE, token)).status).toBe(401);
    });

    it('401 for alg: none', async () => {
      const token = new UnsecuredJWT({ email: OWNER_EMAIL }).setSubject(crypto.randomUUID()).setExpirationTime('1h').encode();
      expect((await get(PROBE, token)).status).toBe(401);
    });

    it('401 when expired', async () => {
      expect((await get(PROBE, await userToken({ email: OWNER_EMAIL, expiresIn: -60 }))).status).toBe(401);
    });

    it('a token accepted a moment ago is refused once it expires (verified tokens are remembered only until their exp)', async () => {
      // Seconds to spare: exp is whole seconds, and a busy machine can take one between two requests.
      const token = await userToken({ email: OWNER_EMAIL, sub: subFor(OWNER_EMAIL), expiresIn: 4 });
      expect((await get(PROBE, token)).status).toBe(200);
      expect((await get(PROBE, token)).status).toBe(200);
      const exp = (JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { exp: number }).exp;
      await waitUntil(() => Date.now() >= exp * 1000, 10_000, 'the token to expire');
      expect((await get(PROBE, token)).status).toBe(401);
    });

    it('a remembered token is the exact bytes verified: a different signature on the same claims is checked afresh', async () => {
      const token = await userToken({ email: OWNER_EMAIL, sub: subFor(OWNER_EMAIL) });
      expect((await get(PROBE, token)).status).toBe(200);
      const [header, payload] = token.split('.');
      const forged = `${header}.${payload}.${Buffer.alloc(32, 7).toString('base64url')}`;
      expect((await get(PROBE, forged)).status).toBe(401);
    });

    it('401 without exp', async () => {
      expect((await get(PROBE, await userToken({ email: OWNER_EMAIL, expiresIn: null }))).status).toBe(401);
    });

    it('401 for another algorithm, even with the right secret (HS512) or an RS256 key', async () => {
      expect((await get(PROBE, await userToken({ email: OWNER_EMAIL, alg: 'HS512' }))).status).toBe(401);
      const { privateKey } = await generateKeyPair('RS256');
      const rs = await new SignJWT({ email: OWNER_EMAIL })
        .setProtectedHeader({ alg: 'RS256' })
        .setSubject(crypto.randomUUID())
        .setExpirationTime('1h')
        .sign(privateKey);
      expect((await get(PROBE, rs)).status).toBe(401);
    });

    it('401 when sub is not a uuid or email is missing', async () => {
      expect((await get(PROBE, await userToken({ email: OWNER_EMAIL, sub: 'user-1' }))).status).toBe(401);
      expect((await get(PROBE, await userToken({ email: 'nope' }))).status).toBe(401);
    });

    it('a non-owner gets a 404 identical to an unrouted path', async () => {
      const token = await tokenFor('stranger@example.com');
      const gated = await get(PROBE, token);
      const unrouted = await get(UNROUTED, token);
      expect(gated.status).toBe(404);
      expect(gated.body).toEqual({ statusCode: 404, error: 'Not Found', message: `Cannot GET ${PROBE}` });
      expect(comparable(gated, PROBE)).toEqual(comparable(unrouted, UNROUTED));
    });

    it('the owner gets through, and the user row is upserted from the claims', async () => {
      const sub = subFor(OWNER_EMAIL);
      const res = await get(PROBE, await userToken({ email: 'Owner@Example.com', sub }));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ userId: sub, email: OWNER_EMAIL, via: 'jwt' });
    });
  });

  it('a token whose email belongs to another user id is refused, never merged into that user', async () => {
    expect((await get(PROBE, await tokenFor(OWNER_EMAIL))).status).toBe(200);
    expect((await get(PROBE, await userToken({ email: OWNER_EMAIL, sub: crypto.randomUUID() }))).status).toBe(401);
  });

  it('a crowd of new users at once (their records go in together): each is recorded; one whose email is taken is refused alone', async () => {
    const db = app.get(DataSource);
    const taken = `taken-${crypto.randomUUID()}@example.com`;
    expect((await get(PROBE, await userToken({ email: taken, sub: crypto.randomUUID() }))).status).toBe(404);
    const crowd = Array.from({ length: 30 }, (_, i) => ({
      sub: crypto.randomUUID(),
      email: i === 17 ? taken : `crowd-${i}-${crypto.randomUUID()}@example.com`,
    }));
    const tokens = await Promise.all(crowd.map((u) => userToken(u)));
    const statuses = (await Promise.all(tokens.map((t) => get(PROBE, t)))).map((r) => r.status);
    // Not owners: recorded, then the unrouted 404; the one with the taken email: 401.
    expect(statuses).toEqual(crowd.map((_, i) => (i === 17 ? 401 : 404)));
    const rows: { id: string; email: string }[] = await db.query(`SELECT id, email FROM users WHERE id = ANY($1::uuid[])`, [crowd.map((u) => u.sub)]);
    expect(new Map(rows.map((r) => [r.id, r.email]))).toEqual(new Map(crowd.filter((_, i) => i !== 17).map((u) => [u.sub, u.email])));
  });

  it("a user's new email is recorded at once, even right after a request with the old one (recently seen users are remembered per email)", async () => {
    const sub = crypto.randomUUID();
    const db = app.get(DataSource);
    const stored = async () => {
      const rows: { email: string }[] = await db.query(`SELECT email FROM users WHERE id = $1`, [sub]);
      return rows.at(0)?.email;
    };
    // This app lets only its owner use Paliadin: the others are recorded, then get the unrouted 404 (a refused token: 401).
    for (const email of ['first@example.com', 'second@example.com', 'first@example.com']) {
      expect((await get(PROBE, await userToken({ email, sub }))).status).toBe(404);
      expect(await stored()).toBe(email);
    }
    // A remembered user whose email another user id takes meanwhile is still refused with that email.
    const other = crypto.randomUUID();
    expect((await get(PROBE, await userToken({ email: 'third@example.com', sub: other }))).status).toBe(404);
    expect((await get(PROBE, await userToken({ email: 'third@example.com', sub }))).status).toBe(401);
  });

  describe('admin routes', () => {
    it('the owner may, a non-owner gets the unrouted 404', async () => {
      expect((await get('/api/admin/paliadin/probe', await tokenFor(OWNER_EMAIL))).status).toBe(200);
      const res = await get('/api/admin/paliadin/probe', await tokenFor('stranger@example.com'));
      expect(res.status).toBe(404);
      expect(res.body.message).toBe('Cannot GET /api/admin/paliadin/probe');
    });

    it('API keys need paliadin:admin or admin', async () => {
      const admin = await keys.create({ userId: subFor('ops@example.com'), email: 'ops@example.com', name: 't', scopes: ['paliadin:admin'] });
      const superKey = await keys.create({ userId: subFor('ops@example.com'), email: 'ops@example.com', name: 't', scopes: ['admin'] });
      const reader = await keys.create({ userId: subFor('ops@example.com'), email: 'ops@example.com', name: 't', scopes: ['paliadin:read'] });
      expect((await get('/api/admin/paliadin/probe', admin.key)).status).toBe(200);
      expect((await get('/api/admin/paliadin/probe', superKey.key)).status).toBe(200);
      expect((await get('/api/admin/paliadin/probe', reader.key)).status).toBe(404);
    });
  });

  describe('API keys', () => {
    it('a key with the scope is allowed, and acts as its user', async () => {
      const { key, row } = await keys.create({ userId: subFor(OWNER_EMAIL), email: OWNER_EMAIL, name: 'reader', scopes: ['paliadin:read'] });
      const res = await get(PROBE, key);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ userId: row.userId, email: OWNER_EMAIL, via: 'api_key' });
    });

    it('a key without the scope is refused, naming it', async () => {
      const { key } = await keys.create({ userId: subFor(OWNER_EMAIL), email: OWNER_EMAIL, name: 'reader', scopes: ['paliadin:read'] });
      const res = await http.post(PROBE).set('Authorization', `Bearer ${key}`);
      expect(res.status).toBe(403);
      expect(res.body.message).toContain('paliadin:turn');
    });

    it('admin implies every scope', async () => {
      const { key } = await keys.create({ userId: subFor(OWNER_EMAIL), email: OWNER_EMAIL, name: 'root', scopes: ['admin'] });
      expect((await http.post(PROBE).set('Authorization', `Bearer ${key}`)).status).toBe(201);
    });

    it('a key of a non-owner gets the unrouted 404', async () => {
      const { key } = await keys.create({ userId: subFor('stranger@example.com'), email: 'stranger@example.com', name: 'x', scopes: ['paliadin:read'] });
      expect((await get(PROBE, key)).status).toBe(404);
    });

    it('unknown, tampered, revoked and expired keys all get the same 401', async () => {
      const live = await keys.create({ userId: subFor(OWNER_EMAIL), email: OWNER_EMAIL, name: 'live', scopes: ['paliadin:read'] });
      const revoked = await keys.create({ userId: subFor(OWNER_EMAIL), email: OWNER_EMAIL, name: 'revoked', scopes: ['paliadin:read'] });
      expect(await keys.revoke(revoked.row.prefix)).toBe(true);
      const expired = await keys.create({
        userId: subFor(OWNER_EMAIL),
        email: OWNER_EMAIL,
        name: 'old',
        scopes: ['paliadin:read'],
        expiresAt: new Date(Date.now() - 1000),
      });
      const tampered = live.key.slice(0, -2) + (live.key.endsWith('AA') ? 'BB' : 'AA');
      const unknown = `pal_000000000000_${'A'.repeat(43)}`;
      const bodies = [];
      for (const key of [unknown, tampered, revoked.key, expired.key, 'pal_garbage']) {
        const res = await get(PROBE, key);
        expect(res.status).toBe(401);
        bodies.push(res.body);
      }
      expect(new Set(bodies.map((b) => JSON.stringify(b))).size).toBe(1);
      expect((await get(PROBE, live.key)).status).toBe(200);
    });

    it('keys are stored only as SHA-256 hashes', async () => {
      const { key, row } = await keys.create({ userId: subFor(OWNER_EMAIL), email: OWNER_EMAIL, name: 'h', scopes: ['paliadin:read'] });
      const ds = app.get((await import('typeorm')).DataSource);
      const [stored] = await ds.query('SELECT hash, prefix FROM api_keys WHERE id = $1', [row.id]);
      expect(stored.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(stored.hash).toBe((await import('node:crypto')).createHash('sha256').update(key).digest('hex'));
      const secret = key.slice(`pal_${row.prefix}_`.length);
      expect(secret).toHaveLength(43);
      expect(JSON.stringify(await ds.query('SELECT * FROM api_keys WHERE id = $1', [row.id]))).not.toContain(secret);
    });
  });

  describe('stream credentials', () => {
    it('the SSE route also takes the cookie or the access_token query parameter', async () => {
      const token = await tokenFor(OWNER_EMAIL);
      expect((await http.get(`${PROBE}/stream`).set('Cookie', `paliadin_token=${token}`)).status).toBe(200);
      expect((await http.get(`${PROBE}/stream`).query({ access_token: token })).status).toBe(200);
    });

    it('other routes do not', async () => {
      const token = await tokenFor(OWNER_EMAIL);
      expect((await http.get(PROBE).set('Cookie', `paliadin_token=${token}`)).status).toBe(401);
      expect((await http.get(PROBE).query({ access_token: token })).status).toBe(401);
    });
  });
});

describe('PALIADIN_ENABLED=false', () => {
  let app: INestApplication;
  beforeAll(async () => {
    ({ app } = await startTestApp({ env: { PALIADIN_ENABLED: 'false' }, controllers: [PaliadinProbeController] }));
  });
  afterAll(() => app.close());

  it('every Paliadin route 404s like an unrouted path, even for the owner and without a token', async () => {
    const http = request(app.getHttpServer());
    const owner = await http.get(PROBE).set('Authorization', `Bearer ${await tokenFor(OWNER_EMAIL)}`);
    const anon = await http.get(PROBE);
    for (const res of [owner, anon]) {
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ statusCode: 404, error: 'Not Found', message: `Cannot GET ${PROBE}` });
    }
  });
});
