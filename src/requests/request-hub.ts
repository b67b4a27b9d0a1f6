import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { RequestKind, RequestOutcome, ResolvedBy } from '../contract/requests.js';
import { PgListener } from '../database/pg-listener.js';
import { MetricsService } from '../metrics/metrics.service.js';
import type { NewRequest, StoredResolution, TurnRequests } from '../paliadin/turn-requests.js';
import { SessionStore } from '../sessions/session-store.js';
import { RequestStore, RESOLVED_CHANNEL, type RequestRecord, type Resolution } from './request-store.js';

/**
 * Where requests are stored and resolved, on every instance
 * (docs/requests.md): the store behind a running turn's requests (the
 * TURN_REQUESTS port) and the one place a resolution is written, whoever
 * gives it (an answer through the API, a deadline, the turn's end, the
 * janitor). A resolution is committed first, then the turn waiting for it
 * hears: at once when it runs here, by NOTIFY (then a read) when it runs
 * on another instance.
 */
@Injectable()
export class RequestHub implements TurnRequests, OnModuleInit {
  private readonly logger = new Logger(RequestHub.name);
  /** The requests turns of this instance wait on, and who waits. */
  private readonly waiting = new Map<string, Set<(r: StoredResolution) => void>>();

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly listener: PgListener,
    private readonly metrics: MetricsService,
  ) {}

  async onModuleInit(): Promise<void> {
    this.metrics.provide('openRequests', () => RequestStore.openByKind(this.db));
    await this.listener.listen(RESOLVED_CHANNEL, (requestId) => void this.heard(requestId));
    // Notifications sent while the connection was down are lost: look at every request still waited on.
    this.listener.onReconnect(() => {
      for (const id of this.waiting.keys()) void this.heard(id);
    });
  }

  async open(r: NewRequest): Promise<void> {
    await RequestStore.insert(this.db, r);
    this.metrics.requestsCreated.inc({ kind: r.kind });
  }

  resolution(requestId: string, signal: AbortSignal): Promise<StoredResolution> {
    return new Promise((resolve) => {
      let set = this.waiting.get(requestId);
      if (!set) this.waiting.set(requestId, (set = new Set()));
      const waiter = (r: StoredResolution) => resolve(r);
      set.add(waiter);
      signal.addEventListener('abort', () => this.forget(requestId, waiter), { once: true });
    });
  }

  resolve(requestId: string, by: ResolvedBy, outcome: RequestOutcome, answer?: unknown): Promise<StoredResolution> {
    return this.settle(requestId, { by, outcome, answer }).then((r) => r.resolution);
  }

  grants(sessionRef: string): Promise<string[]> {
    return SessionStore.grants(this.db, sessionRef);
  }

  /**
   * Resolves a request unless it is already resolved, with what `also`
   * stores in the same transaction (an `allow_always` grant), then tells
   * whoever waits here. `won`: this resolution is the stored one; otherwise
   * the earlier one is returned. Undefined record: no such request.
   */
  async settle(
    requestId: string,
    r: Resolution,
    also?: (tx: { query: DataSource['query'] }, row: RequestRecord) => Promise<void>,
  ): Promise<{ won: boolean; resolution: StoredResolution; record: RequestRecord }> {
    const resolved = await this.db.transaction(async (tx) => {
      const row = await RequestStore.resolve(tx, requestId, r);
      if (row && also) await also(tx, row);
      return row;
    });
    if (resolved) {
      this.counted(resolved);
      const resolution = toResolution(resolved);
      this.deliver(requestId, resolution);
      return { won: true, resolution, record: resolved };
    }
    const stored = await RequestStore.find(this.db, requestId);
    if (!stored) throw new Error(`request ${requestId} does not exist`);
    return { won: false, resolution: toResolution(stored), record: stored };
  }

  /** A resolution was committed (here or elsewhere): if a turn here waits on it, read it and hand it over. */
  private async heard(requestId: string): Promise<void> {
    if (!this.waiting.has(requestId)) return;
    try {
      const row = await RequestStore.find(this.db, requestId);
      if (row?.resolved_at) this.deliver(requestId, toResolution(row));
    } catch (e) {
      // The turn's own deadline still ends the wait; a reconnect reads again.
      this.logger.warn({ err: e, requestId }, 'could not read a resolved request');
    }
  }

  private deliver(requestId: string, r: StoredResolution): void {
    const set = this.waiting.get(requestId);
    this.waiting.delete(requestId);
    for (const waiter of set ?? []) waiter(r);
  }

  private forget(requestId: string, waiter: (r: StoredResolution) => void): void {
    const set = this.waiting.get(requestId);
    set?.delete(waiter);
    if (set?.size === 0) this.waiting.delete(requestId);
  }

  private counted(row: RequestRecord): void {
    const r = toResolution(row);
    this.metrics.requestsResolved.inc({ kind: row.kind, outcome: outcomeLabel(row.kind, r.by, r.outcome) });
    // created_at is the app's clock (when the agent asked), resolved_at the database's: never below zero.
    this.metrics.requestWait.observe({ kind: row.kind, by: r.by }, Math.max(0, r.at.getTime() - row.created_at.getTime()) / 1000);
  }
}

/** A resolved row's resolution. */
export function toResolution(row: RequestRecord): StoredResolution {
  const { resolved_by: by, outcome, resolved_at: at } = row;
  if (!by || !outcome || !at) throw new Error(`request ${row.request_id} is not resolved`);
  return { by, outcome, answer: row.answer ?? undefined, at };
}

/** The metric's outcome: the decision of an answered permission, `answered`, `ok` / `error`; else who ended it. */
function outcomeLabel(kind: RequestKind, by: ResolvedBy, outcome: RequestOutcome): string {
  if (by !== 'user' && by !== 'api_key') return by;
  if (kind === 'permission' && 'decision' in outcome) return outcome.decision;
  if (kind === 'client_tool' && 'is_error' in outcome) return outcome.is_error ? 'error' : 'ok';
  return 'answered';
}
