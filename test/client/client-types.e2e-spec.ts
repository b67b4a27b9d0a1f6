import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { generate } from '../../client/scripts/generate-types.mjs';
import { startTestApp } from '../support/test-app.js';

/**
 * The client cannot drift from the server: its types are generated from the
 * OpenAPI document, and this regenerates them from the running service and
 * compares. When it fails, run `npm run client:types` and commit the result.
 */
describe("the client's generated types", () => {
  let app: INestApplication;
  let doc: unknown;
  beforeAll(async () => {
    ({ app } = await startTestApp());
    doc = (await request(app.getHttpServer()).get('/docs-json')).body;
  });
  afterAll(() => app.close());

  it('client/openapi.json is the running service’s document', () => {
    expect(JSON.parse(readFileSync('client/openapi.json', 'utf8'))).toEqual(doc);
  });

  it.each(['src/generated/openapi.ts', 'src/generated/events.ts'])('client/%s is what the document generates (else: npm run client:types)', async (file) => {
    const generated = await generate(doc);
    expect(readFileSync(path.join('client', file), 'utf8')).toBe(generated[file]);
  });

  it('both event streams have their events in the document, so the clients’ event types are not empty', async () => {
    const events = (await generate(doc))['src/generated/events.ts'];
    expect(events).toContain("TURN_EVENTS = ['client_tool', 'content', 'end', 'error', 'meta',");
    expect(events).toContain("'session', 'thinking', 'thought', 'tool', 'turn'] as const");
  });
});
