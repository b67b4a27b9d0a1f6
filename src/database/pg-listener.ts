import { Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import pg from 'pg';
import { DatabaseServer } from './database-server.js';

type Handler = (payload: string) => void;

// Silent death of a LISTEN connection is only noticed by using it.
const PING_INTERVAL_MS = 10_000;
const PING_TIMEOUT_MS = 5_000;
const MAX_BACKOFF_MS = 5_000;

/**
 * One dedicated LISTEN connection per instance (not a pool member: the pool
 * closes idle clients). It reconnects with backoff; notifications sent while
 * it was down are lost, so subscribers are told to re-read after a reconnect.
 */
@Injectable()
export class PgListener implements BeforeApplicationShutdown {
  private readonly logger = new Logger(PgListener.name);
  private readonly handlers = new Map<string, Set<Handler>>();
  private readonly reconnectHandlers = new Set<() => void>();
  private client?: pg.Client;
  private connecting?: Promise<void>;
  private pingTimer?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  private backoff = 100;
  private closed = false;
  private everConnected = false;

  constructor(private readonly server: DatabaseServer) {}

  /** Subscribes to a channel; the returned function unsubscribes. */
  async listen(channel: string, handler: Handler): Promise<() => void> {
    let set = this.handlers.get(channel);
    if (!set) {
      set = new Set();
      this.handlers.set(channel, set);
      if (this.client) await this.client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    }
    set.add(handler);
    await this.ensureConnected();
    return () => set.delete(handler);
  }

  /** Called after every reconnect (not the first connect). */
  onReconnect(fn: () => void): () => void {
    this.reconnectHandlers.add(fn);
    return () => this.reconnectHandlers.delete(fn);
  }

  /** For tests: drop the connection as a network failure would. */
  simulateConnectionLoss(): void {
    this.client?.emit('error', new Error('simulated connection loss'));
  }

  get connected(): boolean {
    return !!this.client;
  }

  private ensureConnected(): Promise<void> {
    if (this.client || this.closed) return Promise.resolve();
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: await this.server.url(), keepAlive: true });
    const lost = (err?: Error) => this.lose(client, err);
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', (n) => {
      for (const h of this.handlers.get(n.channel) ?? []) h(n.payload ?? '');
    });
    await client.connect();
    for (const channel of this.handlers.keys()) await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    if (this.closed) {
      await client.end();
      return;
    }
    this.client = client;
    this.backoff = 100;
    this.pingTimer = setInterval(() => void this.ping(client), PING_INTERVAL_MS);
    this.pingTimer.unref();
    if (this.everConnected) {
      this.logger.log('LISTEN connection re-established');
      for (const fn of this.reconnectHandlers) fn();
    }
    this.everConnected = true;
  }

  private async ping(client: pg.Client): Promise<void> {
    const timeout = setTimeout(() => this.lose(client, new Error('LISTEN connection ping timed out')), PING_TIMEOUT_MS);
    try {
      await client.query('SELECT 1');
    } catch (e) {
      this.lose(client, e as Error);
    } finally {
      clearTimeout(timeout);
    }
  }

  private lose(client: pg.Client, err?: Error): void {
    if (this.client !== client) return;
    this.client = undefined;
    clearInterval(this.pingTimer);
    client.removeAllListeners('notification');
    client.end().catch(() => undefined);
    if (this.closed) return;
    this.logger.warn(`LISTEN connection lost${err ? `: ${err.message}` : ''}; reconnecting`);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.ensureConnected().catch((e: unknown) => {
        this.logger.warn(`LISTEN reconnect failed: ${(e as Error).message}`);
        this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MS);
        this.scheduleReconnect();
      });
    }, this.backoff);
    this.retryTimer.unref();
  }

  /** Before the pool and any embedded server go away, so the loss is not mistaken for a failure. */
  async beforeApplicationShutdown(): Promise<void> {
    this.closed = true;
    clearInterval(this.pingTimer);
    clearTimeout(this.retryTimer);
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => undefined);
  }
}
