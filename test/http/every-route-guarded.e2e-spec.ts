import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { ApplicationConfig, Reflector } from '@nestjs/core';
import request from 'supertest';
import { AuthGuard } from '../../src/auth/auth.guard.js';
import { ACCESS_KEY, type Access } from '../../src/auth/route-access.js';
import { listRoutes, type RouteInfo } from '../support/routes.js';
import { startTestApp } from '../support/test-app.js';

/** Routes that are public on purpose. Anything else must demand credentials. */
const PUBLIC_ROUTES = new Set(['GET /health', 'GET /paliadin', 'GET /admin/paliadin', 'GET /admin/paliadin/sessions/:sid', 'DELETE /auth/session']);

/** How the global guard treats a route: its @Public/@PaliadinRoute/@AdminRoute metadata, handler first; none means a signed-in user. */
function accessOf(reflector: Reflector, r: RouteInfo): Access {
  return reflector.getAllAndOverride<Access | undefined>(ACCESS_KEY, [r.handler as () => void, r.controller as () => void]) ?? { area: 'user' };
}

describe('every route requires auth unless allowlisted', () => {
  let app: INestApplication;
  beforeAll(async () => {
    ({ app } = await startTestApp());
  });
  afterAll(() => app.close());

  it('finds the routes (so this test cannot pass vacuously)', () => {
    const routes = listRoutes(app).map((r) => `${r.method} ${r.path}`);
    expect(routes).toContain('GET /health');
    expect(routes.length).toBeGreaterThan(20);
  });

  it("the auth guard is global, and by Nest's route metadata exactly the allowlisted routes are public", () => {
    // The guard every route passes through (APP_GUARD); a route without metadata is for signed-in users.
    const globalGuards = app.get(ApplicationConfig).getGlobalGuards();
    expect(globalGuards.some((g) => g instanceof AuthGuard)).toBe(true);

    const reflector = app.get(Reflector);
    const routes = listRoutes(app);
    const publicOnes = routes.filter((r) => accessOf(reflector, r).area === 'public').map((r) => `${r.method} ${r.path}`);
    expect(publicOnes.sort()).toEqual([...PUBLIC_ROUTES].sort());
  });

  it('answers 401 to every non-public route without credentials (admin routes: the unrouted 404)', async () => {
    const http = request(app.getHttpServer());
    const uuid = '00000000-0000-4000-8000-000000000000';
    const reflector = app.get(Reflector);
    const routes = listRoutes(app);
    expect(routes.map((r) => `${r.method} ${r.path}`)).toEqual(expect.arrayContaining(['GET /api/admin/paliadin/stats', 'POST /auth/session', 'GET /metrics']));
    for (const r of routes) {
      const { method, path } = r;
      if (PUBLIC_ROUTES.has(`${method} ${path}`)) continue;
      const url = path.replace(/:[A-Za-z_]+/g, uuid);
      const res = await http[method.toLowerCase() as 'get'](url);
      const expected =
        accessOf(reflector, r).area === 'admin'
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
