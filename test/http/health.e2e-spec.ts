import { afterAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { EmbeddedDatabase } from '../../src/database/embedded-postgres.js';
import { startTestApp } from '../support/test-app.js';
import { testTempDir } from '../support/temp-dirs.js';

describe('/health', () => {
  const apps: INestApplication[] = [];
  afterAll(async () => {
    for (const a of apps) await a.close();
  });

  it('is up with the database and reports the backend', async () => {
    const { app } = await startTestApp();
    apps.push(app);
    const res = await request(app.getHttpServer()).get('/health');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ok');
    expect(res.body.details.database.status).toBe('up');
    expect(res.body.details.backend).toMatchObject({ status: 'up', kind: 'disabled', state: 'disabled' });
  });

  it('is down (503) when the database is stopped, and says so', async () => {
    const db = new EmbeddedDatabase(testTempDir('paliadin-health-'));
    const { url } = await db.start();
    const { app } = await startTestApp({ env: { DATABASE_URL: url } });
    apps.push(app);
    expect((await request(app.getHttpServer()).get('/health')).status).toBe(200);

    await db.stop();
    const res = await request(app.getHttpServer()).get('/health');
    expect(res.status).toBe(503);
    expect(res.body.status).toBe('error');
    expect(res.body.error.database.status).toBe('down');
  });
});
