import { DataSource, type DataSourceOptions } from 'typeorm';
import type { AppConfig } from '../config/app-config.js';
import { dataSourceOptions } from './data-source-options.js';
import { EmbeddedDatabase } from './embedded-postgres.js';

/**
 * Gives a CLI the app's database: DATABASE_URL, or the embedded cluster in the
 * data dir (shared if the app is running, else started and stopped around fn).
 */
export async function withCliDatabase<T>(
  config: AppConfig,
  fn: (ds: DataSource) => Promise<T>,
  entities: NonNullable<DataSourceOptions['entities']> = [],
): Promise<T> {
  const embedded = config.env.DATABASE_URL ? undefined : new EmbeddedDatabase(config.dataDir);
  try {
    const url = embedded ? (await embedded.start()).url : (config.env.DATABASE_URL ?? '');
    const ds = await new DataSource({ ...dataSourceOptions(url), entities }).initialize();
    try {
      return await fn(ds);
    } finally {
      await ds.destroy();
    }
  } finally {
    await embedded?.stop();
  }
}
