import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { startTestApp } from '../support/test-app.js';

interface Operation {
  parameters?: { in: string }[];
  security?: unknown[];
  responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
}

const ENVELOPE = '#/components/schemas/ErrorEnvelopeDto';
// Routes anyone may call: no auth errors to document.
const PUBLIC = new Set(['get /health', 'delete /auth/session']);

describe('OpenAPI documents the error envelopes', () => {
  let app: INestApplication;
  let doc: {
    paths: Record<string, Record<string, Operation>>;
    components: { schemas: Record<string, { properties: Record<string, unknown>; required: string[] }> };
  };
  beforeAll(async () => {
    ({ app } = await startTestApp());
    doc = (await request(app.getHttpServer()).get('/docs-json')).body;
  });
  afterAll(() => app.close());

  it('one shared ErrorEnvelopeDto: {statusCode, error, message}', () => {
    const schema = doc.components.schemas.ErrorEnvelopeDto;
    expect(Object.keys(schema.properties).sort()).toEqual(['code', 'error', 'message', 'request', 'statusCode']);
    expect(schema.required.sort()).toEqual(['error', 'message', 'statusCode']);
  });

  it('every guarded route lists the errors it can give, each as the envelope', () => {
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ key: `${method} ${path}`, method, path, op })),
    );
    expect(operations.length).toBeGreaterThan(8);
    const missing: string[] = [];
    for (const { key, method, path, op } of operations) {
      if (PUBLIC.has(key)) continue;
      const expected = new Set(['404', '503']);
      // Admin routes give non-admins the unrouted 404, never a 401 or 403.
      if (!path.startsWith('/api/admin/') && path !== '/metrics') ['401', '403'].forEach((s) => expected.add(s));
      if (method === 'post') ['400', '429'].forEach((s) => expected.add(s));
      if (op.parameters?.some((p) => p.in === 'path' || p.in === 'query')) expected.add('400');
      const documented = Object.entries(op.responses)
        .filter(([status, r]) => Number(status) >= 400 && r.content?.['application/json']?.schema?.$ref === ENVELOPE)
        .map(([status]) => status);
      for (const status of expected) if (!documented.includes(status)) missing.push(`${key}: ${status}`);
    }
    expect(missing).toEqual([]);
  });

  it('the turn stream: 200 is text/event-stream, with the data schema of each event', () => {
    const ok = doc.paths['/api/paliadin/stream/{id}'].get.responses['200'] as { content: Record<string, { 'x-events'?: Record<string, { $ref: string }> }> };
    const events = ok.content['text/event-stream']['x-events']!;
    expect(Object.keys(events).sort()).toEqual([
      'client_tool',
      'content',
      'end',
      'error',
      'meta',
      'permission',
      'plan',
      'question',
      'resolved',
      'thinking',
      'thought',
      'tool',
    ]);
    for (const { $ref } of Object.values(events)) expect(doc.components.schemas[$ref.split('/').at(-1)!]).toBeDefined();
    const error = doc.components.schemas.ErrorEventData as unknown as { properties: { code: { enum: string[] } } };
    expect(error.properties.code.enum).toContain('interrupted');
    expect(error.properties.code.enum).toContain('refused');
    const end = doc.components.schemas.EndEventData as unknown as { properties: Record<string, unknown> };
    expect(Object.keys(end.properties)).toEqual(expect.arrayContaining(['usage', 'num_turns', 'stop_reason']));
    const resolved = doc.components.schemas.ResolvedEventData as unknown as { properties: { by: { enum: string[] } } };
    expect(resolved.properties.by.enum).toEqual(['user', 'api_key', 'timeout', 'cancel', 'interrupted']);
    expect(Object.keys(doc.components.schemas.ThinkingEventData.properties)).toContain('waiting_for');
  });

  it('the requests routes: their bodies and answers', () => {
    const answer = doc.paths['/api/paliadin/turns/{id}/requests/{request_id}'].post as Operation & {
      requestBody: { content: Record<string, { schema: { $ref: string } }> };
    };
    expect(answer.requestBody.content['application/json'].schema.$ref).toBe('#/components/schemas/AnswerRequestDto');
    expect(Object.keys(doc.components.schemas.AnswerRequestDto.properties).sort()).toEqual(['answers', 'decision', 'is_error', 'message', 'output']);
    expect(Object.keys(answer.responses)).toEqual(expect.arrayContaining(['200', '400', '404', '409']));
    expect(doc.paths['/api/paliadin/turns/{id}/requests'].get).toBeDefined();
    expect(doc.paths['/api/sessions/{sid}/requests'].get).toBeDefined();
    expect(Object.keys(doc.components.schemas.CreateTurnDto.properties)).toContain('client_tools');
    expect(Object.keys(doc.components.schemas.CreateSessionDto.properties)).toEqual(expect.arrayContaining(['permissions', 'client_tools']));
  });
});
