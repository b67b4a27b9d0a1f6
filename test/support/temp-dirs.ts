import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const created = new Set<string>();

/**
 * A fresh directory in the run's temp dir (global-setup points TMPDIR there),
 * removed once the test file is done: test/support/temp-dir-cleanup.ts
 * removes them in a root-level afterAll. That hook runs before a test file's
 * own root-level afterAll, so a file whose dirs are in use until its very end
 * closes them in a describe-level afterAll (or an afterEach).
 */
export function testTempDir(prefix = 'paliadin-test-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  created.add(dir);
  return dir;
}

export function removeTestTempDirs(): void {
  for (const dir of created) {
    // An agent or postgres stopped a moment ago may still be writing its last files: retry.
    rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    created.delete(dir);
  }
}
