import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { EmbeddedDatabase } from './embedded-postgres.js';

/**
 * Where the database is: DATABASE_URL when set, else an embedded Postgres
 * started in PALIADIN_DATA_DIR for the life of the app.
 */
@Injectable()
export class DatabaseServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Database');
  private embedded?: EmbeddedDatabase;
  private resolved?: Promise<string>;

  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    private readonly moduleRef: ModuleRef,
  ) {}

  /** The connection URL; the embedded server is started on the first call only. */
  url(): Promise<string> {
    this.resolved ??= this.resolve();
    return this.resolved;
  }

  /**
   * Fails boot with one line naming the database and its host when it cannot
   * be reached, before TypeORM tries (its failure is a retry log and a stack).
   * The URL's password is never part of the line.
   */
  async assertReachable(url: string): Promise<void> {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
    try {
      await client.connect();
    } catch (e) {
      const what = this.embedded ? `the embedded Postgres in ${this.embedded.pgDir}` : 'DATABASE_URL';
      const reason = (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ');
      throw new Error(`${what}: cannot connect to Postgres at ${hostOf(url)} (${reason || 'connection failed'})`, { cause: e });
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  private async resolve(): Promise<string> {
    if (this.config.env.DATABASE_URL) return this.config.env.DATABASE_URL;
    this.embedded = new EmbeddedDatabase(this.config.dataDir, (line) => this.logger.debug(line));
    const { url, port } = await this.embedded.start();
    this.logger.log(`embedded Postgres running on 127.0.0.1:${port} (data in ${this.embedded.pgDir})`);
    return url;
  }

  /** The app is up, its shutdown hooks in place (main.ts): they, not the embedded-postgres library's exit hook, stop the server. */
  onApplicationBootstrap(): void {
    if (this.embedded) EmbeddedDatabase.leaveStopToApp();
  }

  /** Close the pool before stopping the server under it, so no client sees a killed connection. */
  async onApplicationShutdown(): Promise<void> {
    if (!this.embedded) return;
    const ds: DataSource | undefined = this.moduleRef.get(DataSource, { strict: false });
    if (ds?.isInitialized) await ds.destroy().catch(() => undefined);
    await this.embedded.stop();
    this.logger.log('embedded Postgres stopped');
  }
}

// How long boot waits for the first connection (a host that drops packets never refuses).
const CONNECT_TIMEOUT_MS = 5_000;

/** host:port/database of a Postgres URL, without its credentials. */
function hostOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return 'an unparsable URL';
  }
}
