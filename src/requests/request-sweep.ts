import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import type { ErrorCode } from '../contract/error-codes.js';
import { unanswered, type RequestKind } from '../contract/requests.js';
import type { ErrorData, TurnStreamEvent } from '../contract/stream-events.js';
import { TurnEventLog } from '../paliadin/turn-event-log.js';
import { requestsEndAs } from '../paliadin/turn-asks.js';
import { TurnJanitor } from '../paliadin/turn-janitor.js';
import { RequestHub } from './request-hub.js';
import { RequestStore } from './request-store.js';

// Requests resolved per pass; the rest wait for the next one.
const BATCH = 500;

/**
 * No request stays open after its turn is over. A running turn resolves its
 * own requests when it ends. A turn failed from outside its run (the janitor
 * ending a dead instance's turn `interrupted`, a cancel nobody ran) gets its
 * open requests resolved as it ends, their `resolved` events before its
 * error. A janitor task catches whatever is left (that failure's own
 * database trouble, an instance that died in between).
 */
@Injectable()
export class RequestSweep implements OnModuleInit {
  private readonly logger = new Logger(RequestSweep.name);

  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    @InjectDataSource() private readonly db: DataSource,
    private readonly hub: RequestHub,
    private readonly janitor: TurnJanitor,
    private readonly log: TurnEventLog,
  ) {}

  onModuleInit(): void {
    this.log.onFailTurn((turnId, error) => this.closeTurn(turnId, error));
    this.janitor.addTask('resolving the requests of ended turns', () => this.run());
  }

  /** The open requests of a turn failed from outside its run, resolved as it ends: their `resolved` events. */
  private async closeTurn(turnId: string, error: ErrorData): Promise<TurnStreamEvent[]> {
    try {
      const open = await RequestStore.openOfTurn(this.db, turnId);
      const events: TurnStreamEvent[] = [];
      for (const r of open) {
        const stored = await this.resolve(r.request_id, r.kind, error.code);
        if (stored)
          events.push({
            kind: 'resolved',
            data: { request_id: r.request_id, kind: r.kind, outcome: stored.outcome, by: stored.by, at: stored.at.toISOString() },
          });
      }
      return events;
    } catch (e) {
      // The turn ends all the same; the janitor task resolves what is left.
      this.logger.error({ err: e, turnId }, `could not resolve the requests of turn ${turnId}`);
      return [];
    }
  }

  async run(): Promise<number> {
    const open = await RequestStore.openOfFinishedTurns(this.db, BATCH);
    for (const r of open) await this.resolve(r.request_id, r.kind, r.error_code);
    return open.length;
  }

  /** Resolves one request as its turn ended (`errorCode`); undefined when that failed (logged). */
  private async resolve(requestId: string, kind: RequestKind, errorCode: string | null) {
    const by = requestsEndAs(errorCode as ErrorCode | null);
    const { outcome, answer } = unanswered(kind, by, this.config.env.PALIADIN_REQUEST_TIMEOUT_MS);
    try {
      return await this.hub.resolve(requestId, by, outcome, answer);
    } catch (e) {
      this.logger.error({ err: e, requestId }, `could not resolve request ${requestId}`);
      return undefined;
    }
  }
}
