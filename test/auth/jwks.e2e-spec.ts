import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { SignJWT, UnsecuredJWT } from 'jose';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { PROVIDER_USER_NAMESPACE, uuidV5 } from '../../src/auth/uuid-v5.js';
import { IdentityProvider } from '../support/identity-provider.js';
import { AdminProbeController, PaliadinProbeController } from '../support/probe-controllers.js';
import { OWNER_EMAIL, startTestApp } from '../support/test-app.js';
import { tokenFor } from '../support/tokens.js';
import { waitUntil } from '../support/wait.js';

const PROBE = '/api/paliadin/probe';
const ADMIN_PROBE = '/api/admin/paliadin/probe';
const ALGS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const;

/** Tokens from an identity provider (a real HTTP server on 127.0.0.1 publishing a JWKS), beside the HS256 ones. */
describe('asymmetric tokens from a JWKS', () => {
  const idp = new IdentityProvider();
  let app: INestApplication;
  let http: ReturnType<typeof request>;
  const get = (path: string, token: string) => http.get(path).set('Authorization', `Bearer ${token}`);

  beforeAll(async () => {
    await idp.start();
    await idp.addKey('RS256');
    ({ app } = await startTestApp({
      controllers: [PaliadinProbeController, AdminProbeController],
      env: {
        PALIADIN_OWNER_EMAILS: [OWNER_EMAIL, 'idp-user@example.com', 'auth0-user@example.com', ...ALGS.map((a) => `${a.toLowerCase()}@example.com`)].join(','),
        PALIADIN_JWT_JWKS_URL: idp.jwksUrl,
        PALIADIN_JWT_ISSUER: idp.issuer,
        PALIADIN_JWT_AUDIENCE: 'other-app,paliadin',
        PALIADIN_JWT_CLOCK_SKEW_S: '5',
        PALIADIN_JWKS_TIMEOUT_MS: '300',
        PALIADIN_JWKS_COOLDOWN_MS: '300',
      },
    }));
    http = request(app.getHttpServer());
  });
  afterAll(async () => {
    await app?.close();
    await idp.stop();
  });

  it('RS256, PS256, ES256 and EdDSA tokens by keys of the set are accepted, the user recorded from sub and email', async () => {
    for (const alg of ALGS) {
      const kid = await idp.addKey(alg);
      const sub = crypto.randomUUID();
      const email = `${alg.toLowerCase()}@example.com`;
      // A new kid: the set is fetched again (after the cooldown since the last fetch).
      await waitUntil(async () => (await get(PROBE, await idp.token({ sub, email }, { kid }))).status === 200, 5_000, `${alg} accepted`);
      const res = await get(PROBE, await idp.token({ sub, email }, { kid }));
      expect(res.body).toEqual({ userId: sub, email: `${alg.toLowerCase()}@example.com`, via: 'jwt' });
    }
    const [row] = await app.get(DataSource).query(`SELECT email FROM users WHERE email = 'eddsa@example.com'`);
    expect(row).toEqual({ email: 'eddsa@example.com' });
  });

  it('HS256 tokens with the shared secret keep working alongside', async () => {
    expect((await get(PROBE, await tokenFor(OWNER_EMAIL))).status).toBe(200);
  });

  it('issuer and audience are checked; exp and nbf with the configured clock skew', async () => {
    const why = async (token: string) => {
      const res = await get(PROBE, token);
      return `${res.status} ${res.body.message as string}`;
    };
    expect(await why(await idp.token({}, { issuer: 'https://evil.example.test' }))).toBe('401 The token was refused: its iss claim is not the expected one');
    expect(await why(await idp.token({}, { issuer: null }))).toBe('401 The token was refused: its iss claim is missing');
    expect(await why(await idp.token({}, { audience: 'someone-else' }))).toBe('401 The token was refused: its aud claim is not the expected one');
    expect(await why(await idp.token({}, { audience: 'other-app' }))).toMatch(/^200/);
    expect(await why(await idp.token({}, { expiresIn: -2 }))).toMatch(/^200/);
    expect(await why(await idp.token({}, { expiresIn: -60 }))).toBe('401 The token was refused: it has expired');
    expect(await why(await idp.token({}, { notBefore: 2 }))).toMatch(/^200/);
    expect(await why(await idp.token({}, { notBefore: 60 }))).toBe('401 The token was refused: its nbf claim is not the expected one');
  });

  it('refuses alg: none, and an HS256 token "signed" with the provider\'s public key (the RS/HS confusion attack)', async () => {
    const kid = await idp.addKey('RS256');
    const none = new UnsecuredJWT({ email: 'idp-user@example.com' })
      .setSubject(crypto.randomUUID())
      .setIssuer(idp.issuer)
      .setAudience('paliadin')
      .setExpirationTime('1h')
      .encode();
    expect((await get(PROBE, none)).status).toBe(401);
    const confused = await new SignJWT({ email: 'idp-user@example.com' })
      .setProtectedHeader({ alg: 'HS256', kid })
      .setSubject(crypto.randomUUID())
      .setIssuer(idp.issuer)
      .setAudience('paliadin')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(idp.publicPem(kid)));
    const res = await get(PROBE, confused);
    expect(res.status).toBe(401);
    expect(res.body.message).toBe('A valid bearer token or API key is required');
    // The same claims, properly signed, pass: it is the algorithm that is refused.
    await waitUntil(async () => (await get(PROBE, await idp.token({}, { kid }))).status === 200, 5_000, 'the new key');
  });

  it('an unknown kid fetches the set once per cooldown, however many tokens carry one', async () => {
    await new Promise((r) => setTimeout(r, 400)); // past the cooldown of the last fetch
    const tokens = await Promise.all(Array.from({ length: 40 }, (_, i) => idp.token({}, { headerKid: `unknown-${i}` })));
    const before = idp.fetches;
    const started = Date.now();
    const answers = await Promise.all(tokens.map((t) => get(PROBE, t)));
    // Once per cooldown (300 ms here): on a busy machine the 40 answers may span more than one.
    const cooldowns = 1 + Math.floor((Date.now() - started) / 300);
    expect(answers.every((r) => r.status === 401)).toBe(true);
    expect(answers[0].body.message).toBe("The token was refused: no key of the identity provider's JWKS matches its kid and alg");
    expect(idp.fetches - before).toBeLessThanOrEqual(cooldowns);
    expect(cooldowns).toBeLessThan(40);
  });

  it('a rotated key is picked up without a restart, and the old one no longer verifies once it is gone', async () => {
    const old = await idp.addKey('ES256');
    await waitUntil(async () => (await get(PROBE, await idp.token({}, { kid: old }))).status === 200, 5_000, 'the old key');
    const next = await idp.addKey('ES256');
    await waitUntil(async () => (await get(PROBE, await idp.token({}, { kid: next }))).status === 200, 5_000, 'the new key');
    idp.removeKey(old);
    // Another unknown kid makes the gateway fetch the set again; from then on the old key is not in it.
    // (Each try a fresh token: one verified a moment ago is taken on trust for a minute at most.)
    await waitUntil(
      async () => {
        await get(PROBE, await idp.token({}, { headerKid: 'nudge' }));
        return (await get(PROBE, await idp.token({ nonce: crypto.randomUUID() }, { kid: old }))).status === 401;
      },
      5_000,
      'the removed key refused',
    );
  });

  it('the provider down, slow or answering garbage: tokens of cached keys still verify; others get a 401 naming the cause, never a hang', async () => {
    const kid = await idp.addKey('RS256');
    await waitUntil(async () => (await get(PROBE, await idp.token({}, { kid }))).status === 200, 5_000, 'the key cached');
    for (const mode of ['500', 'garbage', 'slow'] as const) {
      idp.mode = mode;
      await new Promise((r) => setTimeout(r, 350)); // past the cooldown: the next unknown kid is a real fetch
      const started = Date.now();
      const unknown = await get(PROBE, await idp.token({}, { headerKid: `new-${mode}` }));
      expect(unknown.status).toBe(401);
      expect(unknown.body.message).toMatch(/cannot be fetched now \((HTTP 500|the answer is not a JSON Web Key Set|no answer in time)\)/);
      // A fresh token (not one remembered) of a cached key verifies all the same.
      expect((await get(PROBE, await idp.token({ nonce: mode }, { kid }))).status).toBe(200);
      expect(Date.now() - started).toBeLessThan(5_000);
    }
    idp.mode = 'ok';
    const port = idp.port;
    await idp.stop();
    await new Promise((r) => setTimeout(r, 350));
    const refused = await get(PROBE, await idp.token({}, { headerKid: 'new-down' }));
    expect(refused.body.message).toMatch(/cannot be fetched now \(ECONNREFUSED/);
    expect((await get(PROBE, await idp.token({ nonce: 'down' }, { kid }))).status).toBe(200);
    // /health says so, and stays 200: HS256 and cached keys still work.
    const health = await http.get('/health');
    expect(health.status).toBe(200);
    expect(health.body.info.jwks).toMatchObject({ status: 'up', reachable: false, sets: [{ url: idp.jwksUrl, error: expect.stringMatching(/ECONNREFUSED/) }] });
    await idp.start(port);
  });

  it('claims: a sub that is not a UUID becomes a stable UUIDv5 of iss and sub; the owner gate and admin routes work as with HS256', async () => {
    const token = await idp.token({ sub: 'auth0|5f7c8ec7c33c6c004bbafe82', email: 'auth0-user@example.com' });
    const expected = uuidV5(`${idp.issuer}\nauth0|5f7c8ec7c33c6c004bbafe82`, PROVIDER_USER_NAMESPACE);
    expect((await get(PROBE, token)).body).toEqual({ userId: expected, email: 'auth0-user@example.com', via: 'jwt' });
    // Another sign-in, another token: the same user.
    expect((await get(PROBE, await idp.token({ sub: 'auth0|5f7c8ec7c33c6c004bbafe82', email: 'auth0-user@example.com' }))).body.userId).toBe(expected);
    expect((await get(ADMIN_PROBE, token)).status).toBe(200);
    const stranger = await idp.token({ email: 'stranger@example.com' });
    expect((await get(PROBE, stranger)).status).toBe(404);
    expect((await get(ADMIN_PROBE, stranger)).status).toBe(404);
    const noEmail = await idp.token({ email: undefined });
    expect((await get(PROBE, noEmail)).body.message).toBe("The token's email claim is unusable: it must be an email address of at most 254 characters");
    // A refused token on an admin route is the unrouted 404, as there: nothing says the route exists.
    expect((await get(ADMIN_PROBE, await idp.token({}, { expiresIn: -60 }))).status).toBe(404);
  });

  it('POST /auth/session takes such a token (the pages sign in with it)', async () => {
    const res = await http.post('/auth/session').set('Authorization', `Bearer ${await idp.token({ email: 'idp-user@example.com' })}`);
    expect(res.status).toBe(200);
    expect(res.headers['set-cookie']?.[0]).toMatch(/^paliadin_token=/);
  });
});

describe('other claims, and a provider that cannot be reached at start-up', () => {
  it('PALIADIN_JWT_USER_ID_CLAIM and PALIADIN_JWT_EMAIL_CLAIM name the claims; the app starts and /health reports the JWKS while it is away', async () => {
    const idp = new IdentityProvider();
    await idp.start();
    await idp.addKey('ES256');
    const port = idp.port;
    const url = idp.jwksUrl;
    await idp.stop();
    const { app } = await startTestApp({
      controllers: [PaliadinProbeController],
      env: {
        PALIADIN_OWNER_EMAILS: '',
        PALIADIN_JWT_JWKS_URL: url,
        PALIADIN_JWT_USER_ID_CLAIM: 'oid',
        PALIADIN_JWT_EMAIL_CLAIM: 'upn',
        PALIADIN_JWKS_TIMEOUT_MS: '300',
        PALIADIN_JWKS_COOLDOWN_MS: '100',
      },
    });
    try {
      const http = request(app.getHttpServer());
      const health = await http.get('/health');
      expect(health.status).toBe(200);
      expect(health.body.info.jwks).toMatchObject({ reachable: false, sets: [{ url, keys: 0, fetched_at: null }] });
      const oid = crypto.randomUUID();
      const token = await idp.token({ oid, upn: 'Entra.User@example.com', email: undefined });
      const away = await http.get(PROBE).set('Authorization', `Bearer ${token}`);
      expect(away.status).toBe(401);
      expect(away.body.message).toMatch(/^The token was refused: the keys at .* cannot be fetched/);
      await idp.start(port);
      await waitUntil(async () => (await http.get(PROBE).set('Authorization', `Bearer ${token}`)).status === 200, 5_000, 'the provider back');
      expect((await http.get(PROBE).set('Authorization', `Bearer ${token}`)).body).toEqual({ userId: oid, email: 'entra.user@example.com', via: 'jwt' });
      expect((await http.get('/health')).body.info.jwks).toMatchObject({ reachable: true, sets: [{ keys: 1 }] });
    } finally {
      await app.close();
      await idp.stop();
    }
  });
});

describe('production with only an identity provider', () => {
  it('starts without PALIADIN_JWT_SECRET: the provider’s tokens work, an HS256 token is a 401, webhook secrets are sealed with PALIADIN_WEBHOOK_KEY', async () => {
    const idp = new IdentityProvider();
    await idp.start();
    await idp.addKey('RS256');
    const { app } = await startTestApp({
      controllers: [PaliadinProbeController],
      env: {
        NODE_ENV: 'production',
        PALIADIN_OWNER_EMAILS: '',
        PALIADIN_JWT_SECRET: undefined,
        PALIADIN_JWT_JWKS_URL: idp.jwksUrl,
        PALIADIN_WEBHOOK_KEY: 'webhook-key-that-is-at-least-32-characters',
        PALIADIN_WEBHOOK_ALLOW_PRIVATE: 'true',
      },
    });
    try {
      const http = request(app.getHttpServer());
      const sub = crypto.randomUUID();
      const token = await idp.token({ sub, email: 'idp-only@example.com' });
      await waitUntil(async () => (await http.get(PROBE).set('Authorization', `Bearer ${token}`)).status === 200, 5_000, 'the provider’s token accepted');
      // An HS256 token, whatever its secret: there is none to check it with.
      const shared = await tokenFor('idp-only@example.com');
      const refused = await http.get(PROBE).set('Authorization', `Bearer ${shared}`);
      expect(refused.status).toBe(401);
      // A webhook's secret is made and sealed (with the webhook key): creating one works.
      const hook = await http
        .post('/api/webhooks')
        .set('Authorization', `Bearer ${token}`)
        .send({ url: 'http://127.0.0.1:9/hook', events: ['turn.completed'] });
      expect(hook.status).toBe(201);
      expect(hook.body.secret).toMatch(/^whsec_/);
    } finally {
      await app.close();
      await idp.stop();
    }
  });
});
