import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { unanswered, type ResolvedBy } from '../contract/requests.js';
import { TurnJanitor } from '../paliadin/turn-janitor.js';
import { RequestHub } from './request-hub.js';
import { RequestStore } from './request-store.js';

// Requests resolved per pass; the rest wait for the next one.
const BATCH = 500;

/**
 * A janitor task: no request stays open after its turn is over. A running
 * turn resolves its own requests when it ends; this catches those whose
 * instance died (the janitor ended the turn `interrupted`) or whose turn was
 * ended where nobody ran it, resolving each as its turn ended.
 */
@Injectable()
export class RequestSweep implements OnModuleInit {
  private readonly logger = new Logger(RequestSweep.name);

  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    @InjectDataSource() private readonly db: DataSource,
    private readonly hub: RequestHub,
    private readonly janitor: TurnJanitor,
  ) {}

  onModuleInit(): void {
    this.janitor.addTask('resolving the requests of ended turns', () => this.run());
  }

  async run(): Promise<number> {
    const open = await RequestStore.openOfFinishedTurns(this.db, BATCH);
    for (const r of open) {
      const by: ResolvedBy = r.error_code === 'cancelled' ? 'cancel' : r.error_code === 'timeout' ? 'timeout' : 'interrupted';
      const { outcome, answer } = unanswered(r.kind, by, this.config.env.PALIADIN_REQUEST_TIMEOUT_MS);
      try {
        await this.hub.resolve(r.request_id, by, outcome, answer);
      } catch (e) {
        this.logger.error({ err: e, requestId: r.request_id }, `could not resolve request ${r.request_id}`);
      }
    }
    return open.length;
  }
}
