import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** What global-teardown needs from global-setup (same process). */
export interface TestRun {
  /** This run's own temp dir; TMPDIR points here for every worker and child process. */
  tmpDir: string;
  /** TMPDIR as it was, restored at the end. */
  previousTmpDir: string | undefined;
  db: { stop(): Promise<void> };
  dbDir: string;
}

/**
 * Builds dist/ (the tests that run the real CLIs and `node dist/src/main.js`
 * need it, and Jest loads this file outside its own module resolution, so it
 * uses the compiled code too), then starts one real Postgres for the whole
 * run (embedded, in a temp dir), migrated once. Tests read TEST_DATABASE_URL.
 * Every temp dir of the run lives in one directory of its own, so that the
 * teardown can tell what this run left behind (other runs may share /tmp).
 */
export default async function globalSetup(): Promise<void> {
  execFileSync(process.execPath, [path.resolve('node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  const dist = (p: string) => import(pathToFileURL(path.resolve('dist/src', p)).href);
  const { EmbeddedDatabase } = await dist('database/embedded-postgres.js');
  const { dataSourceOptions } = await dist('database/data-source-options.js');
  const { runMigrations } = await dist('database/migrate.js');
  const { DataSource } = await import('typeorm');

  const previousTmpDir = process.env.TMPDIR;
  const tmpDir = mkdtempSync(path.join(os.tmpdir(), 'paliadin-test-run-'));
  process.env.TMPDIR = tmpDir;
  const dbDir = mkdtempSync(path.join(tmpDir, 'paliadin-test-db-'));
  const db = new EmbeddedDatabase(dbDir);
  const { url } = await db.start();
  const ds = await new DataSource(dataSourceOptions(url)).initialize();
  await runMigrations(ds);
  await ds.destroy();
  process.env.TEST_DATABASE_URL = url;
  (globalThis as { __paliadinTestRun?: TestRun }).__paliadinTestRun = { tmpDir, previousTmpDir, db, dbDir };
}
