import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PALIADIN_BACKEND, type PaliadinBackend } from '../backends/backend.interface.js';
import { AppConfig } from '../config/app-config.js';
import { TurnEventLog } from './turn-event-log.js';
import { NEVER_STARTED, TurnAdoption } from './turn-adoption.js';
import { TurnRecovery } from './turn-recovery.js';
import { TurnRunners } from './turn-runners.js';
import { MetricsService } from '../metrics/metrics.service.js';

// Any fixed number; all instances share it so only one janitor runs at a time.
const JANITOR_LOCK_KEY = 7_243_002;
const HEARTBEATS_MISSED = 3;

// Turns compacted per pass by the retention setting: a pass stays short, the backlog goes over several.
const RETENTION_BATCH = 200;

/**
 * No row stays unfinished forever, and no late answer is left lying. Every
 * PALIADIN_JANITOR_INTERVAL_MS one instance (whichever gets the advisory lock)
 * ends turns whose runner stopped heartbeating with `interrupted`, delivers
 * answers that arrived after their turn ended, compacts turns past the
 * retention age, and lets the backend tidy up. Each turn is handled on its
 * own: one that fails is logged and the pass goes on.
 */
@Injectable()
export class TurnJanitor implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(TurnJanitor.name);
  private running?: Promise<void>;
  /** When a pass last failed to use the database: other instances' heartbeats failed too, then. */
  private troubleAt = 0;
  /** Work other modules run on the janitor's instance, once per pass (e.g. expiring sessions). */
  private readonly tasks: { what: string; run: () => Promise<unknown> }[] = [];

  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    @InjectDataSource() private readonly db: DataSource,
    private readonly log: TurnEventLog,
    private readonly recovery: TurnRecovery,
    @Inject(PALIADIN_BACKEND) private readonly backend: PaliadinBackend,
    private readonly scheduler: SchedulerRegistry,
    private readonly runners: TurnRunners,
    private readonly metrics: MetricsService,
    private readonly adoption: TurnAdoption,
  ) {}

  onModuleInit(): void {
    const timer = setInterval(() => void this.runOnce(), this.config.env.PALIADIN_JANITOR_INTERVAL_MS);
    this.scheduler.addInterval('paliadin-janitor', timer);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.scheduler.doesExist('interval', 'paliadin-janitor')) this.scheduler.deleteInterval('paliadin-janitor');
    await this.running;
  }

  /** One pass, unless one is under way here; another instance in one makes it skip. */
  runOnce(): Promise<void> {
    this.running ??= this.pass()
      .catch((e: unknown) => {
        this.troubleAt = Date.now();
        this.logger.error({ err: e }, 'janitor pass failed');
      })
      .finally(() => (this.running = undefined));
    return this.running;
  }

  /**
   * The lock is held by a transaction of its own, not by a session: an
   * instance that froze mid-pass (paused, swapped out) would otherwise keep
   * every other instance's janitor out until it woke. Postgres ends a
   * transaction idle for PALIADIN_DB_IDLE_TX_TIMEOUT_MS, so a frozen holder
   * loses it; between steps the pass says it is alive.
   */
  private async pass(): Promise<void> {
    const runner = this.db.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      const [{ locked }] = (await runner.query(`SELECT pg_try_advisory_xact_lock($1) AS locked`, [JANITOR_LOCK_KEY])) as { locked: boolean }[];
      if (!locked) return;
      this.metrics.janitorRuns.inc();
      // One cutoff for the pass: a turn that went stale between the two steps below would
      // otherwise be ended as never started by the second before the first could take it over.
      const staleMs = HEARTBEATS_MISSED * this.config.env.PALIADIN_RUNNER_HEARTBEAT_MS;
      const [{ cutoff }] = (await runner.query(`SELECT clock_timestamp() - make_interval(secs => $1::double precision / 1000) AS cutoff`, [staleMs])) as {
        cutoff: Date;
      }[];
      const steps: [string, () => Promise<unknown>][] = [
        // Turns never handed to their agent first: they are run here, not ended.
        ['taking over turns that never started', () => this.adoptOrphans(cutoff)],
        ['ending interrupted turns', () => this.endInterrupted(cutoff)],
        ['looking for late answers', () => this.recovery.sweep()],
        ['compacting old turns', () => this.compactOld()],
        ['backend housekeeping', async () => this.backend.sweep?.()],
        ...this.tasks.map((t): [string, () => Promise<unknown>] => [t.what, t.run]),
      ];
      for (const [what, run] of steps) {
        await this.step(what, run);
        await runner.query('SELECT 1');
      }
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      await runner.release();
    }
  }

  /** Adds `run` to every pass, on whichever one instance holds the janitor's lock. */
  addTask(what: string, run: () => Promise<unknown>): void {
    this.tasks.push({ what, run });
  }

  /** One part of a pass; its failure is logged and the next part still runs. */
  private async step(what: string, fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
    } catch (e) {
      this.troubleAt = Date.now();
      this.logger.error({ err: e }, `janitor: ${what} failed`);
    }
  }

  private async compactOld(): Promise<void> {
    const days = this.config.env.PALIADIN_EVENT_RETENTION_DAYS;
    if (days === 0) return;
    await this.log.compactOlderThan(days, RETENTION_BATCH, (turnId, e) => this.logger.error({ err: e, turnId }, `could not compact turn ${turnId}`));
  }

  /** Runs here the turns of dead runners that never went to their agent (TurnAdoption); the same guard as below. */
  private async adoptOrphans(cutoff: Date): Promise<void> {
    const staleMs = HEARTBEATS_MISSED * this.config.env.PALIADIN_RUNNER_HEARTBEAT_MS;
    if (Date.now() - this.troubleAt < staleMs) return;
    await this.adoption.adoptOrphans(cutoff);
  }

  /**
   * Ends turns whose runner stopped heartbeating. Never this instance's own
   * live turns, and not right after the database was unreachable: every
   * runner's heartbeats failed then too, so a stale one proves nothing until
   * the runners had a heartbeat window to catch up.
   */
  private async endInterrupted(cutoff: Date): Promise<void> {
    const staleMs = HEARTBEATS_MISSED * this.config.env.PALIADIN_RUNNER_HEARTBEAT_MS;
    if (Date.now() - this.troubleAt < staleMs) return;
    const rows: { turn_id: string; started_at: Date; handed_over_at: Date | null }[] = await this.db.query(
      `SELECT turn_id, started_at, handed_over_at FROM paliadin_turns
       WHERE finished_at IS NULL AND (heartbeat_at IS NULL OR heartbeat_at < $1)
         AND turn_id <> ALL($2::uuid[])`,
      [cutoff, this.runners.liveTurnIds()],
    );
    for (const row of rows) {
      try {
        const ended = await this.log.failTurn(row.turn_id, row.started_at, {
          code: 'interrupted',
          // Never handed over and not taken over (accepted for other agents than this instance's): it never started.
          message: row.handed_over_at ? 'The server running this turn stopped; please ask again' : NEVER_STARTED,
          retryable: true,
        });
        if (ended) {
          this.metrics.turnsInterrupted.inc();
          this.logger.warn(`turn ${row.turn_id} ended as interrupted: its runner stopped heartbeating`);
        }
      } catch (e) {
        this.logger.error({ err: e, turnId: row.turn_id }, `could not end turn ${row.turn_id} as interrupted`);
      }
    }
  }
}
