import type { INestApplication, Type } from '@nestjs/common';
import { Test, type TestingModuleBuilder } from '@nestjs/testing';
import { AppModule } from '../../src/app.module.js';
import { configureApp } from '../../src/app.setup.js';
import { testTempDir } from './temp-dirs.js';

export const TEST_JWT_SECRET = 'test-secret-that-is-at-least-32-characters-long';
export const OWNER_EMAIL = 'owner@example.com';

/**
 * The runner heartbeat of every app on the shared test database (in-process
 * and child processes alike): any of their janitors judges every running
 * turn by it, so it must be the same everywhere, and long enough (three
 * missed beats: 3 s) that a worker stalled by the whole suite on two cores (a
 * neighbour compiling, a Postgres starting) does not get its live turns
 * ended by another's janitor. 1.5 s was once too short for that.
 */
export const SHARED_HEARTBEAT_MS = '1000';

/** Settings every test app starts from; each test overrides what it exercises. */
export function testEnv(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: process.env.TEST_DATABASE_URL,
    PALIADIN_DATA_DIR: testTempDir('paliadin-data-'),
    PALIADIN_JWT_SECRET: TEST_JWT_SECRET,
    PALIADIN_OWNER_EMAILS: OWNER_EMAIL,
    PALIADIN_BACKEND: 'disabled',
    PALIADIN_RUNNER_HEARTBEAT_MS: SHARED_HEARTBEAT_MS,
    ...overrides,
  };
}

export interface TestAppOptions {
  env?: Record<string, string | undefined>;
  /** Extra controllers mounted beside the real ones (guard tests). */
  controllers?: Type<unknown>[];
  /** Provider overrides, e.g. a scripted backend. */
  override?: (b: TestingModuleBuilder) => TestingModuleBuilder;
}

/** The real AppModule, configured as main.ts does, listening on a free port. */
export async function startTestApp(opts: TestAppOptions = {}): Promise<{ app: INestApplication; url: string }> {
  let builder = Test.createTestingModule({
    imports: [AppModule.register({ env: testEnv(opts.env) })],
    controllers: opts.controllers ?? [],
  });
  if (opts.override) builder = opts.override(builder);
  const moduleRef = await builder.compile();
  const app = moduleRef.createNestApplication({ bufferLogs: true, forceCloseConnections: true });
  configureApp(app);
  try {
    await app.listen(0, '127.0.0.1');
  } catch (e) {
    // A start that fails half way (a hook threw) must not leave its pool, listeners and timers running.
    await app.close().catch(() => undefined);
    throw e;
  }
  return { app, url: (await app.getUrl()).replace('[::1]', '127.0.0.1') };
}
