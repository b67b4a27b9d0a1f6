import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { isolatedDatabase } from '../support/isolated-database.js';
import { kinds, startPipelineApp, type PipelineApp } from '../support/pipeline-app.js';
import { OWNER_EMAIL } from '../support/test-app.js';
import { waitUntil } from '../support/wait.js';

/** One sample's value from the Prometheus text, 0 when the series is not there yet. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (m?.[1] !== name) continue;
    const have = (m[2] ?? '').split(',').filter(Boolean);
    if (want.every((w) => have.includes(w)) && (want.length > 0 || have.length === 0)) return Number(m[3]);
  }
  return 0;
}

async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('GET /metrics', () => {
  let p: PipelineApp;
  let metricsPort: number;
  // A database of its own: it counts every turn, and another suite's janitor hands back or takes over turns of the same kind.
  let db: Awaited<ReturnType<typeof isolatedDatabase>>;
  beforeAll(async () => {
    metricsPort = await freePort();
    db = await isolatedDatabase();
    p = await startPipelineApp({
      DATABASE_URL: db.url,
      PALIADIN_OWNER_EMAILS: OWNER_EMAIL,
      PALIADIN_METRICS_PORT: String(metricsPort),
      PALIADIN_JANITOR_INTERVAL_MS: '50',
    });
    p.backend.script = (req) => {
      if (req.message === 'fails') return [{ event: { type: 'error', code: 'upstream_error', message: 'broke', retryable: true } }];
      if (req.message === 'hold') return [{ delay: 100_000, event: { type: 'done', response: 'late' } }];
      return [{ delay: 20, event: { type: 'chunk', text: 'Hal' } }, { event: { type: 'chunk', text: 'lo' } }, { event: { type: 'done', response: 'Hallo' } }];
    };
  });
  afterAll(async () => {
    await p?.app.close();
    await db?.drop();
  });

  const scrape = async () => {
    const res = await p
      .http()
      .get('/metrics')
      .set('Authorization', await p.auth(OWNER_EMAIL));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return res.text;
  };

  it('counts a turn that answers and one that fails, with their time to first content, duration and stored events', async () => {
    const before = await scrape();
    const ok = await p.ask(OWNER_EMAIL, { user_message: 'hello' });
    expect(kinds((await p.read(OWNER_EMAIL, ok)).events)).toEqual(['meta', 'content', 'content', 'end']);
    const bad = await p.ask(OWNER_EMAIL, { user_message: 'fails' });
    expect(kinds((await p.read(OWNER_EMAIL, bad)).events)).toEqual(['meta', 'error']);
    // The finish is counted once it is stored, just after the last event went out.
    let after = '';
    await waitUntil(
      async () => {
        after = await scrape();
        return sample(after, 'paliadin_turns_finished_total', { backend: 'scripted', result: 'error', error_code: 'upstream_error' }) > 0;
      },
      5_000,
      'the failed turn counted',
    );

    const delta = (name: string, labels?: Record<string, string>) => sample(after, name, labels) - sample(before, name, labels);
    expect(delta('paliadin_turns_started_total', { backend: 'scripted' })).toBe(2);
    expect(delta('paliadin_turns_finished_total', { backend: 'scripted', result: 'ok', error_code: '' })).toBe(1);
    expect(delta('paliadin_turns_finished_total', { backend: 'scripted', result: 'error', error_code: 'upstream_error' })).toBe(1);
    expect(delta('paliadin_turn_duration_seconds_count', { backend: 'scripted' })).toBe(2);
    // Only the answered turn had content.
    expect(delta('paliadin_time_to_first_content_seconds_count', { backend: 'scripted' })).toBe(1);
    expect(delta('paliadin_time_to_first_content_seconds_sum', { backend: 'scripted' })).toBeGreaterThanOrEqual(0.02);
    // meta, two contents and end; meta and error.
    expect(delta('paliadin_events_stored_total')).toBe(6);
    expect(sample(after, 'paliadin_sessions', { status: 'active' })).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'paliadin_db_pool_connections', { state: 'total' })).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(sample(after, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
  });

  it('a late answer delivered to a failed turn is counted, and the janitor runs are', async () => {
    const before = await scrape();
    const id = await p.ask(OWNER_EMAIL, { user_message: 'fails' });
    await p.read(OWNER_EMAIL, id);
    p.backend.late.set(id, 'Die Antwort kam spät.');
    const res = await p
      .http()
      .get(`/api/paliadin/turns/${id}/recover`)
      .set('Authorization', await p.auth(OWNER_EMAIL));
    expect(res.body).toMatchObject({ recovery_state: 'recovered' });
    const after = await scrape();
    expect(sample(after, 'paliadin_late_answers_delivered_total') - sample(before, 'paliadin_late_answers_delivered_total')).toBe(1);
    await waitUntil(async () => sample(await scrape(), 'paliadin_janitor_runs_total') > sample(after, 'paliadin_janitor_runs_total'), 5_000, 'a janitor pass');
  });

  it('shows live turns and their readers while they run', async () => {
    const id = await p.ask(OWNER_EMAIL, { user_message: 'hold' });
    const reading = p.read(OWNER_EMAIL, id, { timeoutMs: 10_000 });
    await waitUntil(async () => sample(await scrape(), 'paliadin_sse_readers') >= 1, 5_000, 'the reader counted');
    expect(sample(await scrape(), 'paliadin_live_turns')).toBe(1);
    await p
      .http()
      .post(`/api/paliadin/turns/${id}/cancel`)
      .set('Authorization', await p.auth(OWNER_EMAIL));
    await reading;
    await waitUntil(async () => sample(await scrape(), 'paliadin_live_turns') === 0, 5_000, 'the turn gone');
  });

  it('is an admin route: anonymous callers and other users get the unrouted 404', async () => {
    const anonymous = await p.http().get('/metrics');
    expect(anonymous.status).toBe(404);
    expect(anonymous.body).toMatchObject({ statusCode: 404, message: 'Cannot GET /metrics' });
    const user = await p
      .http()
      .get('/metrics')
      .set('Authorization', await p.auth('someone@example.com'));
    expect(user.status).toBe(404);
  });

  it('PALIADIN_METRICS_PORT serves the same metrics without auth, and nothing else', async () => {
    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('# TYPE paliadin_turns_started_total counter');
    expect(sample(text, 'paliadin_turns_started_total', { backend: 'scripted' })).toBeGreaterThanOrEqual(3);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/api/paliadin/history`)).status).toBe(404);
  });

  it('a PALIADIN_METRICS_PORT already in use stops the start with one line naming it', async () => {
    const taken = http.createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const { port } = taken.address() as AddressInfo;
    try {
      await expect(startPipelineApp({ PALIADIN_METRICS_PORT: String(port) })).rejects.toThrow(
        new RegExp(`^PALIADIN_METRICS_PORT ${port} is already in use on 127\\.0\\.0\\.1`),
      );
    } finally {
      await new Promise<void>((r) => taken.close(() => r()));
    }
  });

  it('a PALIADIN_METRICS_PORT that is not a port stops the start naming it', async () => {
    await expect(startPipelineApp({ PALIADIN_METRICS_PORT: 'abc' })).rejects.toThrow(
      /PALIADIN_METRICS_PORT must be an integer between 1 and 65535 \(got "abc"\)/,
    );
  });
});
