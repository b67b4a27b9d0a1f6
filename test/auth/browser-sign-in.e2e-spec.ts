import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { ApiKeysService } from '../../src/auth/api-keys.service.js';
import { OWNER_EMAIL, startTestApp } from '../support/test-app.js';
import { subFor, tokenFor } from '../support/tokens.js';

const signIn = (app: INestApplication, token?: string) => {
  const r = request(app.getHttpServer()).post('/auth/session');
  return token ? r.set('Authorization', `Bearer ${token}`) : r;
};
const UNROUTED = { statusCode: 404, error: 'Not Found', message: 'Cannot POST /auth/session' };

describe('POST /auth/session follows the gate of the stream its cookie serves', () => {
  let app: INestApplication;
  beforeAll(async () => {
    ({ app } = await startTestApp({ env: { PALIADIN_OWNER_EMAILS: OWNER_EMAIL } }));
  });
  afterAll(() => app.close());

  it('an owner gets the HttpOnly stream cookie', async () => {
    const res = await signIn(app, await tokenFor(OWNER_EMAIL));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true, email: OWNER_EMAIL });
    expect(res.headers['set-cookie'][0]).toMatch(/^paliadin_token=.+; Max-Age=\d+; Path=\/api\/paliadin\/stream; .*HttpOnly; SameSite=Strict/);
  });

  it('a non-owner gets the same 404 as on every Paliadin route, and no cookie', async () => {
    const res = await signIn(app, await tokenFor('stranger@example.com'));
    expect({ status: res.status, body: res.body, cookie: res.headers['set-cookie'] }).toEqual({ status: 404, body: UNROUTED, cookie: undefined });
  });

  it("an API key, even an owner's with every scope, cannot mint a browser cookie", async () => {
    const { key } = await app.get(ApiKeysService).create({ userId: subFor(OWNER_EMAIL), email: OWNER_EMAIL, name: 'k', scopes: ['admin'] });
    const res = await signIn(app, key);
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ statusCode: 403, error: 'Forbidden', message: 'An API key cannot sign in a browser; sign in with a user token (JWT)' });
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('no token: 401', async () => {
    expect((await signIn(app)).status).toBe(401);
  });
});

describe('PALIADIN_ENABLED=false', () => {
  let app: INestApplication;
  beforeAll(async () => {
    ({ app } = await startTestApp({ env: { PALIADIN_ENABLED: 'false', PALIADIN_OWNER_EMAILS: OWNER_EMAIL } }));
  });
  afterAll(() => app.close());

  it('the sign-in and the admin API 404 like unrouted paths, even for the owner', async () => {
    const owner = await tokenFor(OWNER_EMAIL);
    expect((await signIn(app, owner)).body).toEqual(UNROUTED);
    for (const path of ['/api/admin/paliadin/stats', '/api/admin/paliadin/turns']) {
      const res = await request(app.getHttpServer()).get(path).set('Authorization', `Bearer ${owner}`);
      expect({ status: res.status, body: res.body }).toEqual({ status: 404, body: { statusCode: 404, error: 'Not Found', message: `Cannot GET ${path}` } });
    }
    // Health stays: it is not a Paliadin route.
    expect((await request(app.getHttpServer()).get('/health')).status).toBe(200);
  });
});
