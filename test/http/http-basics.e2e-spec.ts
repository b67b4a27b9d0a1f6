import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { redactUrl } from '../../src/http/logger-options.js';
import { ApiKeysService } from '../../src/auth/api-keys.service.js';
import { PublicProbeController, UserProbeController } from '../support/probe-controllers.js';
import { startTestApp } from '../support/test-app.js';
import { subFor, tokenFor } from '../support/tokens.js';

describe('HTTP basics', () => {
  let app: INestApplication;
  let auth: string;
  beforeAll(async () => {
    ({ app } = await startTestApp({ controllers: [UserProbeController], env: { PALIADIN_POST_RATE_LIMIT: '1000' } }));
    auth = `Bearer ${await tokenFor('basics@example.com')}`;
  });
  afterAll(() => app.close());
  const post = (body: unknown) =>
    request(app.getHttpServer())
      .post('/api/probe/echo')
      .set('Authorization', auth)
      .send(body as object);

  it('accepts a valid body and converts nothing it should not', async () => {
    const res = await post({ name: 'abc', count: 3 });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ name: 'abc', count: 3 });
  });

  it('400 naming an unknown field', async () => {
    const res = await post({ name: 'abc', count: 3, admin: true });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message: 'property admin should not exist' });
  });

  it('400 naming each invalid field', async () => {
    const res = await post({ name: 'toolong', count: 11 });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('Bad Request');
    expect(res.body.message).toContain('name must be shorter than or equal to 5 characters');
    expect(res.body.message).toContain('count must not be greater than 10');
  });

  it('400 for a body that is not JSON, in the same envelope', async () => {
    const res = await request(app.getHttpServer()).post('/api/probe/echo').set('Authorization', auth).set('Content-Type', 'application/json').send('{"name": ');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message: 'Request body is not valid JSON' });
  });

  it('a crash is a 500 envelope with no internal text', async () => {
    const res = await request(app.getHttpServer()).get('/api/probe/boom').set('Authorization', auth);
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ statusCode: 500, error: 'Internal Server Error', message: 'Internal server error' });
    expect(res.text).not.toContain('postgres://');
    expect(res.text).not.toContain('at ');
  });

  it('every response carries a request id; a sane incoming one is kept', async () => {
    const fresh = await request(app.getHttpServer()).get('/health');
    expect(fresh.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const kept = await request(app.getHttpServer()).get('/health').set('X-Request-Id', 'trace-123');
    expect(kept.headers['x-request-id']).toBe('trace-123');
    const replaced = await request(app.getHttpServer()).get('/health').set('X-Request-Id', 'bad id\twith spaces');
    expect(replaced.headers['x-request-id']).not.toBe('bad id\twith spaces');
  });

  it('errors carry the request id too', async () => {
    const res = await request(app.getHttpServer()).get('/nowhere');
    expect(res.status).toBe(404);
    expect(res.headers['x-request-id']).toBeDefined();
    expect(res.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'Cannot GET /nowhere' });
  });

  it('sends helmet headers and no x-powered-by', async () => {
    const res = await request(app.getHttpServer()).get('/health');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    // Not in production: plain http on a LAN address must keep working.
    expect(res.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('serves Swagger UI at /docs and the OpenAPI JSON at /docs-json with bearer auth', async () => {
    const ui = await request(app.getHttpServer()).get('/docs/');
    expect(ui.status).toBe(200);
    expect(ui.text).toContain('swagger-ui');
    const json = await request(app.getHttpServer()).get('/docs-json');
    expect(json.status).toBe(200);
    expect(json.body.openapi).toMatch(/^3\./);
    expect(json.body.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(json.body.paths['/health']).toBeDefined();
  });

  it('redacts access_token from logged URLs', () => {
    expect(redactUrl('/api/paliadin/stream/x?access_token=abc.def&last_event_id=3')).toBe('/api/paliadin/stream/x?access_token=[Redacted]&last_event_id=3');
  });
});

describe('POST rate limit', () => {
  let app: INestApplication;
  beforeAll(async () => {
    ({ app } = await startTestApp({ controllers: [UserProbeController, PublicProbeController], env: { PALIADIN_POST_RATE_LIMIT: '2' } }));
  });
  afterAll(() => app.close());
  const echo = (auth: string) => request(app.getHttpServer()).post('/api/probe/echo').set('Authorization', auth).send({ name: 'a', count: 1 });
  const anonymous = (forwardedFor?: string) =>
    request(app.getHttpServer())
      .post('/api/probe/public')
      .set(forwardedFor ? { 'X-Forwarded-For': forwardedFor } : {});

  it('429s POSTs beyond the limit, but not GETs', async () => {
    const auth = `Bearer ${await tokenFor('limited@example.com')}`;
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await echo(auth)).status);
    expect(statuses).toEqual([201, 201, 429]);
    const res = await echo(auth);
    expect(res.body.statusCode).toBe(429);
    expect(res.body.error).toBe('Too Many Requests');
    for (let i = 0; i < 4; i++) expect((await request(app.getHttpServer()).get('/health')).status).toBe(200);
  });

  it('counts per caller: users behind one address, and each API key, have budgets of their own', async () => {
    const one = `Bearer ${await tokenFor('one-of-many@example.com')}`;
    const two = `Bearer ${await tokenFor('two-of-many@example.com')}`;
    const { key } = await app
      .get(ApiKeysService)
      .create({ userId: subFor('one-of-many@example.com'), email: 'one-of-many@example.com', name: 'k', scopes: ['admin'] });
    const statuses = [];
    for (const auth of [one, one, one, two, two, `Bearer ${key}`, `Bearer ${key}`, `Bearer ${key}`]) statuses.push((await echo(auth)).status);
    expect(statuses).toEqual([201, 201, 429, 201, 201, 201, 201, 429]);
  });

  it('anonymous requests count per client address; X-Forwarded-For is not believed by default', async () => {
    const statuses = [];
    for (const forwarded of ['203.0.113.1', '203.0.113.2', '203.0.113.3']) statuses.push((await anonymous(forwarded)).status);
    expect(statuses).toEqual([201, 201, 429]);
  });
});

describe('POST rate limit behind a trusted proxy (PALIADIN_TRUST_PROXY)', () => {
  let app: INestApplication;
  beforeAll(async () => {
    ({ app } = await startTestApp({ controllers: [PublicProbeController], env: { PALIADIN_POST_RATE_LIMIT: '1', PALIADIN_TRUST_PROXY: 'loopback' } }));
  });
  afterAll(() => app.close());
  const anonymous = (forwardedFor: string) => request(app.getHttpServer()).post('/api/probe/public').set('X-Forwarded-For', forwardedFor);

  it('the client address comes from X-Forwarded-For sent by the trusted proxy', async () => {
    const statuses = [];
    for (const forwarded of ['198.51.100.1', '198.51.100.2', '198.51.100.1']) statuses.push((await anonymous(forwarded)).status);
    expect(statuses).toEqual([201, 201, 429]);
  });
});
