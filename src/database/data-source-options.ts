import type { DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../migrations/index.js';

/** The one place that says how we talk to Postgres; the app and the CLI share it. */
export function dataSourceOptions(url: string, extra: Partial<DataSourceOptions> = {}): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    migrations: MIGRATIONS,
    migrationsRun: false, // run by runMigrations() under an advisory lock instead
    synchronize: false,
    extra: {
      max: 10,
      connectionTimeoutMillis: 5_000,
      // A hung query must not hold a pool slot forever.
      statement_timeout: 30_000,
      keepAlive: true,
    },
    ...extra,
  } as DataSourceOptions;
}
