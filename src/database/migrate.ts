import type { DataSource, Migration } from 'typeorm';

// Any fixed 64-bit number; every instance must use the same one.
const MIGRATION_LOCK_KEY = 7_243_001;

/**
 * Runs pending migrations while holding a Postgres advisory lock, so several
 * instances booting at once apply each migration exactly once: the others
 * wait, then find nothing left to do.
 */
export async function runMigrations(ds: DataSource): Promise<Migration[]> {
  return withAdvisoryLock(ds, () => ds.runMigrations({ transaction: 'each' }));
}

export async function revertLastMigration(ds: DataSource): Promise<void> {
  await withAdvisoryLock(ds, () => ds.undoLastMigration({ transaction: 'each' }));
}

async function withAdvisoryLock<T>(ds: DataSource, fn: () => Promise<T>): Promise<T> {
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      return await fn();
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
  }
}
