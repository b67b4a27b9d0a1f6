import type { DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../migrations/index.js';

/** The one place that says how we talk to Postgres; the app and the CLI share it. */
export interface PoolSettings {
  size: number;
  waitMs: number;
  /** Postgres ends a transaction left idle this long (PALIADIN_DB_IDLE_TX_TIMEOUT_MS). */
  idleTxTimeoutMs: number;
}

/** The pool a CLI or a test gets; the app passes its configured one. */
const SMALL_POOL: PoolSettings = { size: 4, waitMs: 5_000, idleTxTimeoutMs: 30_000 };

export function dataSourceOptions(url: string, pool: PoolSettings = SMALL_POOL, extra: Partial<DataSourceOptions> = {}): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    migrations: MIGRATIONS,
    migrationsRun: false, // run by runMigrations() under an advisory lock instead
    synchronize: false,
    extra: {
      max: pool.size,
      // No slot within this time: the caller is told to come back (503), rather than queue for ever.
      connectionTimeoutMillis: pool.waitMs,
      // A hung query must not hold a pool slot forever.
      statement_timeout: 30_000,
      // Nor an open transaction of a client that froze: its locks would hold up every other instance.
      idle_in_transaction_session_timeout: pool.idleTxTimeoutMs,
      keepAlive: true,
      // The hot statements are prepared once per connection (rawPool); a plan made for them once serves
      // every call. Left to choose, Postgres planned the event insert afresh on every flush (its array
      // parameters make each custom plan look cheaper), a third of a millisecond of a core per flush.
      options: '-c plan_cache_mode=force_generic_plan',
    },
    ...extra,
  } as DataSourceOptions;
}
