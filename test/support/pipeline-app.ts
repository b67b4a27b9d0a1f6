import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { PALIADIN_BACKEND } from '../../src/backends/backend.interface.js';
import { ScriptedBackend } from './scripted-backend.js';
import { startTestApp } from './test-app.js';
import { tokenFor } from './tokens.js';
import { readSse, type SseOptions } from './sse-client.js';

/**
 * Timers out of the way unless a test turns one down: every wait in the
 * pipeline tests is one of these knobs, set small where it is exercised.
 */
export const QUIET_TIMINGS = {
  PALIADIN_THINKING_INTERVAL_MS: '1000000',
  PALIADIN_SILENCE_TIMEOUT_MS: '1000000',
  PALIADIN_STREAM_DEADLINE_MS: '1000000',
  PALIADIN_ONESHOT_TIMEOUT_MS: '1000000',
  PALIADIN_PING_INTERVAL_MS: '1000000',
  PALIADIN_POST_RATE_LIMIT: '100000',
};

export interface TurnApp {
  app: INestApplication;
  url: string;
  /** POST /api/paliadin/turn as `email`; returns the turn id. */
  ask: (email: string, body?: Record<string, unknown>) => Promise<string>;
  /** Reads a turn's SSE stream as `email`. */
  read: (email: string, turnId: string, opts?: SseOptions) => ReturnType<typeof readSse>;
  http: () => ReturnType<typeof request>;
  auth: (email: string) => Promise<string>;
}

export interface PipelineApp extends TurnApp {
  backend: ScriptedBackend;
}

/** The app with the scripted backend driver in place of the configured one. */
export async function startPipelineApp(env: Record<string, string> = {}, backend = new ScriptedBackend()): Promise<PipelineApp> {
  const started = await startTestApp({
    env: { PALIADIN_OWNER_EMAILS: '', ...QUIET_TIMINGS, ...env },
    override: (b) => b.overrideProvider(PALIADIN_BACKEND).useValue(backend),
  });
  return { ...turnApp(started.app, started.url), backend };
}

/** The app with the backend its configuration names (the real drivers' tests). */
export async function startBackendApp(env: Record<string, string> = {}): Promise<TurnApp> {
  const started = await startTestApp({ env: { PALIADIN_OWNER_EMAILS: '', ...QUIET_TIMINGS, ...env } });
  return turnApp(started.app, started.url);
}

function turnApp(app: INestApplication, url: string): TurnApp {
  const auth = async (email: string) => `Bearer ${await tokenFor(email)}`;
  return {
    app,
    url,
    http: () => request(app.getHttpServer()),
    auth,
    ask: async (email, body = { user_message: 'Hallo?' }) => {
      const res = await request(app.getHttpServer())
        .post('/api/paliadin/turn')
        .set('Authorization', await auth(email))
        .send(body);
      if (res.status !== 200) throw new Error(`POST /turn answered ${res.status}: ${JSON.stringify(res.body)}`);
      return res.body.turn_id as string;
    },
    read: async (email, turnId, opts = {}) => readSse(url, `/api/paliadin/stream/${turnId}`, { token: await tokenFor(email), ...opts }),
  };
}

/** The kinds of a read, pings left out. */
export const kinds = (events: { event: string }[]) => events.filter((e) => e.event !== 'ping').map((e) => e.event);
