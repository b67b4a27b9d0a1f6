import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { listRoutes } from '../support/routes.js';
import { startTestApp } from '../support/test-app.js';

/** Routes that are public on purpose. Anything else must demand credentials. */
const PUBLIC_ROUTES = new Set(['GET /health', 'GET /paliadin', 'GET /admin/paliadin', 'DELETE /auth/session']);

describe('every route requires auth unless allowlisted', () => {
  let app: INestApplication;
  beforeAll(async () => {
    ({ app } = await startTestApp());
  });
  afterAll(() => app.close());

  it('finds the routes (so this test cannot pass vacuously)', () => {
    const routes = listRoutes(app).map((r) => `${r.method} ${r.path}`);
    expect(routes).toContain('GET /health');
    expect(routes.length).toBeGreaterThan(0);
  });

  it('answers 401 to every non-public route without credentials (admin routes: the unrouted 404)', async () => {
    const http = request(app.getHttpServer());
    const uuid = '00000000-0000-4000-8000-000000000000';
    const routes = listRoutes(app);
    expect(routes.map((r) => `${r.method} ${r.path}`)).toEqual(expect.arrayContaining(['GET /api/admin/paliadin/stats', 'POST /auth/session']));
    for (const { method, path } of routes) {
      if (PUBLIC_ROUTES.has(`${method} ${path}`)) continue;
      const url = path.replace(/:[A-Za-z_]+/g, uuid);
      const res = await http[method.toLowerCase() as 'get'](url);
      const expected = path.startsWith('/api/admin/')
        ? { status: 404, message: `Cannot ${method} ${url}` }
        : { status: 401, message: 'A valid bearer token or API key is required' };
      expect({ route: `${method} ${path}`, status: res.status, message: res.body.message }).toEqual({ route: `${method} ${path}`, ...expected });
    }
  });

  it('serves the public ones without credentials', async () => {
    const res = await request(app.getHttpServer()).get('/health');
    expect(res.status).toBe(200);
  });
});
