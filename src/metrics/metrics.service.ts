import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Where the gauges read their values at scrape time; each module provides its own. */
export interface MetricSources {
  liveTurns: () => number;
  sseReaders: () => number;
  agentProcesses: () => number;
  sessions: () => Promise<{ status: string; n: number }[]>;
  openRequests: () => Promise<{ kind: string; n: number }[]>;
  oldestUndelivered: () => Promise<number>;
  dbPool: () => { total: number; idle: number; waiting: number };
}

/**
 * Paliadin's Prometheus metrics, all in one place (docs/metrics.md), in a
 * registry of this app's own (several apps in one process, as in the tests,
 * never share counters). Counters are bumped where things happen; gauges
 * are read at scrape time from the sources other modules provide, so a
 * scrape costs the turn path nothing.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly sources: Partial<MetricSources> = {};

  readonly turnsStarted = new Counter({
    name: 'paliadin_turns_started_total',
    help: 'Turns started on this instance',
    labelNames: ['backend'] as const,
    registers: [this.registry],
  });
  readonly turnsFinished = new Counter({
    name: 'paliadin_turns_finished_total',
    help: 'Turns this instance finished, by result (ok | error) and error code ("" when ok)',
    labelNames: ['backend', 'result', 'error_code'] as const,
    registers: [this.registry],
  });
  readonly turnDuration = new Histogram({
    name: 'paliadin_turn_duration_seconds',
    help: 'From the turn being started to its end or error',
    labelNames: ['backend'] as const,
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [this.registry],
  });
  readonly timeToFirstContent = new Histogram({
    name: 'paliadin_time_to_first_content_seconds',
    help: "From the turn being started to its first content event (a one-shot backend's whole answer)",
    labelNames: ['backend'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly admissionsPerCall = new Histogram({
    name: 'paliadin_turn_admissions_per_call',
    help: 'Turns put in by one call to Postgres: the admissions that arrived together (docs/event-log.md, "Admission")',
    buckets: [1, 2, 5, 10, 25, 50, 100, 250],
    registers: [this.registry],
  });
  readonly finishesPerCall = new Histogram({
    name: 'paliadin_turn_finishes_per_call',
    help: 'Turns\' ends stored by one call to Postgres: the runs\' ends that arrived together (docs/event-log.md, "Finishing")',
    buckets: [1, 2, 5, 10, 25, 50, 100, 200],
    registers: [this.registry],
  });
  readonly eventsStored = new Counter({
    name: 'paliadin_events_stored_total',
    help: 'Turn events this instance stored',
    registers: [this.registry],
  });
  readonly janitorRuns = new Counter({
    name: 'paliadin_janitor_runs_total',
    help: 'Janitor passes this instance ran (one instance at a time holds the janitor lock)',
    registers: [this.registry],
  });
  readonly lateAnswersDelivered = new Counter({
    name: 'paliadin_late_answers_delivered_total',
    help: 'Answers that arrived after their turn ended and were added to it (janitor and /recover)',
    registers: [this.registry],
  });
  readonly turnsInterrupted = new Counter({
    name: 'paliadin_turns_interrupted_total',
    help: 'Turns ended as interrupted by this instance (its shutdown, its storage failing, or the janitor ending a dead instance’s turns)',
    registers: [this.registry],
  });

  readonly requestsCreated = new Counter({
    name: 'paliadin_requests_created_total',
    help: 'Requests the agent made of its caller on this instance (docs/requests.md), by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly requestsResolved = new Counter({
    name: 'paliadin_requests_resolved_total',
    help: 'Requests resolved on this instance, by kind and outcome (allow_once, allow_always, deny, answered, ok, error, timeout, cancel, interrupted)',
    labelNames: ['kind', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly requestWait = new Histogram({
    name: 'paliadin_request_wait_seconds',
    help: 'From a request being made to its resolution, by kind and who resolved it (user, api_key, timeout, cancel, interrupted)',
    labelNames: ['kind', 'by'] as const,
    buckets: [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800],
    registers: [this.registry],
  });

  readonly webhookDeliveries = new Counter({
    name: 'paliadin_webhook_deliveries_total',
    help: 'Webhook delivery attempts made by this instance, by outcome (delivered, retry, failed: given up, disabled: the endpoint answered 410)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    const sources = this.sources;
    const counts: [name: string, help: string, source: 'liveTurns' | 'sseReaders' | 'agentProcesses'][] = [
      ['paliadin_live_turns', 'Turns this instance runs now', 'liveTurns'],
      ['paliadin_sse_readers', 'Open turn streams (SSE readers) on this instance', 'sseReaders'],
      ['paliadin_agent_processes', 'Agent processes this instance runs (local backend; 0 for the others)', 'agentProcesses'],
    ];
    for (const [name, help, source] of counts) {
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(sources[source]?.() ?? 0);
        },
      });
    }
    new Gauge({
      name: 'paliadin_sessions',
      help: 'Agent sessions of all instances, by status (read from the database at scrape time)',
      labelNames: ['status'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const status of ['active', 'ended', 'expired', 'terminated']) this.set({ status }, 0);
        for (const { status, n } of (await sources.sessions?.()) ?? []) this.set({ status }, n);
      },
    });
    new Gauge({
      name: 'paliadin_requests_open',
      help: 'Requests waiting for their answer, of all instances, by kind (read from the database at scrape time)',
      labelNames: ['kind'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const kind of ['permission', 'question', 'client_tool']) this.set({ kind }, 0);
        for (const { kind, n } of (await sources.openRequests?.()) ?? []) this.set({ kind }, n);
      },
    });
    new Gauge({
      name: 'paliadin_webhook_oldest_undelivered_seconds',
      help: 'Age of the oldest webhook message not yet delivered to one of its endpoints, of all instances (0: none; read at scrape time)',
      registers: [this.registry],
      async collect() {
        this.set((await sources.oldestUndelivered?.()) ?? 0);
      },
    });
    new Gauge({
      name: 'paliadin_db_pool_connections',
      help: "This instance's database pool: connections open (total), idle, and requests waiting for one",
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        const pool = sources.dbPool?.() ?? { total: 0, idle: 0, waiting: 0 };
        for (const [state, n] of Object.entries(pool)) this.set({ state }, n);
      },
    });
  }

  /** A module says where a gauge reads its value. */
  provide<K extends keyof MetricSources>(name: K, source: MetricSources[K]): void {
    this.sources[name] = source;
  }

  /** A turn ended: its result, duration and (once it had content) time to first content. */
  turnEnded(backend: string, errorCode: string | null, durationMs: number): void {
    this.turnsFinished.inc({ backend, result: errorCode ? 'error' : 'ok', error_code: errorCode ?? '' });
    this.turnDuration.observe({ backend }, durationMs / 1000);
    if (errorCode === 'interrupted') this.turnsInterrupted.inc();
  }

  /** The Prometheus text exposition. */
  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
