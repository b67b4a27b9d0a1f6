import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { dataSourceOptions } from './data-source-options.js';
import { DatabaseServer } from './database-server.js';
import { runMigrations } from './migrate.js';
import { PgListener } from './pg-listener.js';

@Global()
@Module({ providers: [DatabaseServer, PgListener], exports: [DatabaseServer, PgListener] })
class DatabaseServerModule {}

/**
 * TypeORM over pg. Migrations run at boot (under an advisory lock), never
 * `synchronize`; entities register themselves with forFeature.
 */
@Module({
  imports: [
    DatabaseServerModule,
    TypeOrmModule.forRootAsync({
      inject: [DatabaseServer, AppConfig],
      useFactory: async (server: DatabaseServer, config: AppConfig) => {
        const url = await server.url();
        await server.assertReachable(url);
        return {
          ...dataSourceOptions(url, {
            size: config.env.PALIADIN_DB_POOL_SIZE,
            waitMs: config.env.PALIADIN_DB_POOL_WAIT_MS,
            idleTxTimeoutMs: config.env.PALIADIN_DB_IDLE_TX_TIMEOUT_MS,
          }),
          autoLoadEntities: true,
          // Boot fails fast with a clear error instead of retrying for a minute.
          retryAttempts: 0,
        };
      },
      dataSourceFactory: async (options?: DataSourceOptions) => {
        if (!options) throw new Error('no database options');
        const ds = await new DataSource(options).initialize();
        await runMigrations(ds);
        return ds;
      },
    }),
  ],
})
export class DatabaseModule {}
