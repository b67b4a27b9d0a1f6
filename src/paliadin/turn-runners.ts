import { Inject, Injectable, Logger, Optional, type BeforeApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PALIADIN_BACKEND, type BackendTurnRequest, type PaliadinBackend } from '../backends/backend.interface.js';
import { AppConfig } from '../config/app-config.js';
import { PgListener } from '../database/pg-listener.js';
import { TurnEventLog } from './turn-event-log.js';
import { TurnEventWriter } from './turn-event-writer.js';
import { AgentSessionQueue } from './agent-session-queue.js';
import { TurnRun } from './turn-run.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { rawPool } from '../database/raw-pool.js';
import { withDbRetry } from '../database/db-retry.js';
import { CallBatcher } from '../database/call-batcher.js';
import { TURN_REQUESTS, type TurnRequests } from './turn-requests.js';
import { NOT_FINISHED } from './turn-rows.js';

/** A cancel asked on any instance reaches the instance running the turn. */
export const CANCEL_CHANNEL = 'paliadin_turn_cancel';

// Hand-overs that arrive together (a crowd's turns starting at once) go in one statement.
const HAND_OVER_CALLS = 4;
const HAND_OVER_BATCH = 500;

/**
 * The turns this instance is running. It heartbeats their rows (one UPDATE for
 * all of them, and only them: a row whose run is gone must go stale so the
 * janitor ends it), takes cancel requests from any instance, and on shutdown
 * ends its turns as `interrupted` instead of leaving them to the janitor.
 */
@Injectable()
export class TurnRunners implements OnModuleInit, BeforeApplicationShutdown {
  /** This instance's runner_id on the rows it runs: the event log's name for it, which takes only this runner's events. */
  readonly runnerId: string;
  private readonly logger = new Logger(TurnRunners.name);
  private readonly runs = new Map<string, TurnRun>();
  /** Places taken by turns being created (tryReserve). */
  private reserved = 0;
  private heartbeat?: NodeJS.Timeout;
  private readonly handOvers = new CallBatcher<string, boolean>({
    call: (turnIds) => this.handOverAll(turnIds),
    key: (turnId) => turnId,
    onePerKey: true,
    maxCalls: HAND_OVER_CALLS,
    maxBatch: HAND_OVER_BATCH,
  });

  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    @Inject(PALIADIN_BACKEND) private readonly backend: PaliadinBackend,
    @InjectDataSource() private readonly db: DataSource,
    private readonly log: TurnEventLog,
    private readonly writer: TurnEventWriter,
    private readonly listener: PgListener,
    private readonly queue: AgentSessionQueue,
    private readonly metrics: MetricsService,
    // The requests module's store (docs/requests.md), when the app has it: bound by that module, never imported.
    @Optional() @Inject(TURN_REQUESTS) private readonly requests?: TurnRequests,
  ) {
    this.runnerId = log.instanceId;
  }

  async onModuleInit(): Promise<void> {
    this.metrics.provide('liveTurns', () => this.runs.size);
    this.metrics.provide('agentProcesses', () => this.backend.agentProcesses?.() ?? 0);
    this.metrics.provide('dbPool', () => {
      const pool = rawPool(this.db);
      return { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount };
    });
    await this.listener.listen(CANCEL_CHANNEL, (turnId) => void this.runs.get(turnId)?.cancel());
    this.heartbeat = setInterval(() => void this.beat(), this.config.env.PALIADIN_RUNNER_HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /**
   * Runs a turn; one not `claimed` yet first waits for its agent session
   * (AgentSessionQueue). `sessionRef`: its session row, where requests keep
   * what the caller granted.
   */
  start(request: BackendTurnRequest, claimed: boolean, sessionRef: string | null = null, adopted?: { lastSeq: number }): TurnRun {
    const env = this.config.env;
    const run = new TurnRun(request, {
      adopted,
      backend: this.backend,
      log: this.log,
      writer: this.writer,
      dbRetryMs: env.PALIADIN_DB_RETRY_MS,
      timings: {
        thinkingIntervalMs: env.PALIADIN_THINKING_INTERVAL_MS,
        silenceTimeoutMs: env.PALIADIN_SILENCE_TIMEOUT_MS,
        streamDeadlineMs: env.PALIADIN_STREAM_DEADLINE_MS,
        oneshotTimeoutMs: env.PALIADIN_ONESHOT_TIMEOUT_MS,
      },
      waitForTurn: claimed ? undefined : (signal) => this.queue.waitForTurn(request.turnId, request.agentSession, this.runnerId, signal),
      requests: this.requests && { store: this.requests, timeoutMs: env.PALIADIN_REQUEST_TIMEOUT_MS, sessionRef },
      handOver: (turnId) => this.handOver(turnId),
      // The next turn of its agent session is woken by the end's NOTIFY (AgentSessionQueue).
      onSettled: (r) => {
        if (this.runs.get(r.turnId) === r) this.runs.delete(r.turnId);
      },
      logError: (err, msg) => this.logger.error({ err, turnId: request.turnId }, msg),
      observe: {
        firstContent: (ms) => this.metrics.timeToFirstContent.observe({ backend: this.backend.kind }, ms / 1000),
        ended: (errorCode, ms, closingEvents) => {
          this.metrics.eventsStored.inc(closingEvents);
          this.metrics.turnEnded(this.backend.kind, errorCode, ms);
        },
      },
    });
    this.runs.set(request.turnId, run);
    this.metrics.turnsStarted.inc({ backend: this.backend.kind });
    // Its meta event went in with its row.
    this.metrics.eventsStored.inc();
    // After the caller's answer is on its way: the turn is stored and registered (a cancel finds it),
    // and the backend's first steps (often a statement or a request of their own) need not delay the answer.
    setImmediate(() => run.start());
    return run;
  }

  get(turnId: string): TurnRun | undefined {
    return this.runs.get(turnId);
  }

  /** The turns this instance runs now. */
  liveTurnIds(): string[] {
    return [...this.runs.keys()];
  }

  /** How many turns this instance runs now (PALIADIN_MAX_LIVE_TURNS caps it). */
  get live(): number {
    return this.runs.size;
  }

  /**
   * Takes a place under `cap` for a turn about to be created, synchronously,
   * so a burst of requests cannot all pass the check while their inserts are
   * in flight. False when full. The place is given back by `unreserve` once
   * the turn is started (its run then counts) or was not created.
   */
  tryReserve(cap: number): boolean {
    if (this.runs.size + this.reserved >= cap) return false;
    this.reserved++;
    return true;
  }

  unreserve(): void {
    this.reserved--;
  }

  /** Asks whichever instance runs the turn to cancel it. */
  async requestCancel(turnId: string): Promise<void> {
    const local = this.runs.get(turnId);
    if (local) return local.cancel();
    await this.db.query(`SELECT pg_notify($1, $2)`, [CANCEL_CHANNEL, turnId]);
  }

  /** Records that the turn goes to its agent now; false when another instance runs it now (it took it over). */
  private async handOver(turnId: string): Promise<boolean> {
    // Retried like the turn's other writes: a pool busy for a moment must not cost the turn.
    return withDbRetry(this.config.env.PALIADIN_DB_RETRY_MS, () => this.handOvers.submit(turnId));
  }

  private async handOverAll(turnIds: string[]): Promise<boolean[]> {
    const rows: { turn_id: string }[] = await this.db.query(
      `WITH u AS (
         UPDATE paliadin_turns SET handed_over_at = now() WHERE turn_id = ANY($1::uuid[]) AND runner_id = $2 AND ${NOT_FINISHED} RETURNING turn_id
       ) SELECT turn_id FROM u`,
      [turnIds, this.runnerId],
    );
    const handed = new Set(rows.map((r) => r.turn_id));
    return turnIds.map((id) => handed.has(id));
  }

  private async beat(): Promise<void> {
    if (this.runs.size === 0) return;
    try {
      // A row that is locked (its turn ending in a statement of many, say) is skipped rather than waited for:
      // this statement takes thousands of row locks in its own order, and one that waits can deadlock.
      await this.db.query(
        `UPDATE paliadin_turns t SET heartbeat_at = now()
         FROM (SELECT turn_id FROM paliadin_turns WHERE turn_id = ANY($1::uuid[]) AND finished_at IS NULL AND runner_id = $2 FOR NO KEY UPDATE SKIP LOCKED) l
         WHERE t.turn_id = l.turn_id`,
        [this.liveTurnIds(), this.runnerId],
      );
    } catch (e) {
      this.logger.warn(`heartbeat failed: ${(e as Error).message}`);
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.heartbeat);
    await Promise.all([...this.runs.values()].map((r) => r.interrupt((turnId) => this.release(turnId))));
  }

  /** Hands a turn that never went to its agent back, for the janitor of any instance to run at once; false when it did go. */
  private async release(turnId: string): Promise<boolean> {
    const rows: unknown[] = await this.db.query(
      `WITH u AS (
         UPDATE paliadin_turns SET runner_id = NULL, heartbeat_at = NULL
         WHERE turn_id = $1 AND runner_id = $2 AND ${NOT_FINISHED} AND handed_over_at IS NULL RETURNING 1
       ) SELECT 1 FROM u`,
      [turnId, this.runnerId],
    );
    return rows.length === 1;
  }
}
