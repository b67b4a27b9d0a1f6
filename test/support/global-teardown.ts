import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { TestRun } from './global-setup.js';

/**
 * Stops the run's Postgres and removes the run's temp dir, with everything in
 * it, even when the stop fails. A `paliadin-*` dir still there besides the
 * database's was left by a test: the run fails naming it (use testTempDir
 * from test/support/temp-dirs.ts).
 */
export default async function globalTeardown(): Promise<void> {
  const run = (globalThis as { __paliadinTestRun?: TestRun }).__paliadinTestRun;
  if (!run) return;
  let left: string[];
  try {
    await run.db.stop();
  } finally {
    left = readdirSync(run.tmpDir).filter((n) => n.startsWith('paliadin-') && n !== path.basename(run.dbDir));
    rmSync(run.tmpDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    if (run.previousTmpDir === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = run.previousTmpDir;
  }
  if (left.length > 0) {
    throw new Error(`Tests left ${left.length} temp dir(s) behind (now removed): ${left.join(', ')}. Make them with testTempDir (test/support/temp-dirs.ts).`);
  }
}
