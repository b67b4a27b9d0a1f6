import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { isPermanentDbError } from '../database/db-errors.js';
import { rawPool } from '../database/raw-pool.js';
import { MetricsService } from '../metrics/metrics.service.js';

/** What a turn needs to go in: its row, its first event, and what its session records. */
export interface Admission {
  turnId: string;
  userId: string;
  /** The caller's own session (checked active under the lock), or undefined for the user's default session. */
  sessionId?: string;
  agentSession: string;
  backend: string;
  driver: string | null;
  /** The browser session (paliadin_turns.session_id). */
  browserSession: string;
  startedAt: Date;
  userMessage: string;
  pageOrigin: string | null;
  context: Record<string, string> | null;
  runnerId: string;
  /** The user's cap on unfinished turns (PALIADIN_MAX_INFLIGHT_PER_USER). */
  cap: number;
  clientTools: unknown[] | null;
}

export type AdmissionOutcome = { outcome: 'admitted'; claimed: boolean; sessionRef: string } | { outcome: 'inactive' } | { outcome: 'full'; inflight: number };

interface Waiting {
  admission: Admission;
  resolve: (o: AdmissionOutcome) => void;
  reject: (e: unknown) => void;
}

// Calls in flight at once: enough that one slow call (a user's lock held elsewhere) does not hold up
// every admission, few enough that a crowd's admissions gather into a few calls.
const MAX_CALLS = 4;
// One call carries at most this many admissions.
const MAX_BATCH = 250;

/**
 * Puts turns in: every admission that arrives while earlier ones are on
 * their way to Postgres goes in the next call, all in one round trip and one
 * commit (paliadin_admit_turns, docs/event-log.md "Admission"). A lone
 * admission goes at once; nothing waits for a timer. One user's admissions
 * go in in the order they arrived. A call Postgres refuses
 * outright is split, so one bad admission never fails the others.
 */
@Injectable()
export class TurnAdmissions {
  private queue: Waiting[] = [];
  private calls = 0;
  /** Users with an admission on its way to Postgres. */
  private readonly busy = new Set<string>();

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly metrics: MetricsService,
  ) {}

  admit(admission: Admission): Promise<AdmissionOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ admission, resolve, reject });
      this.next();
    });
  }

  private next(): void {
    while (this.calls < MAX_CALLS) {
      const batch = this.take();
      if (batch.length === 0) return;
      const users = new Set(batch.map((w) => w.admission.userId));
      users.forEach((u) => this.busy.add(u));
      this.calls++;
      void this.send(batch).finally(() => {
        users.forEach((u) => this.busy.delete(u));
        this.calls--;
        this.next();
      });
    }
  }

  /**
   * The next call's admissions, in arrival order: all that wait, but those of
   * a user with a call on its way, which wait for it. A user's turns thus go
   * in in the order they arrived, whichever call is quicker.
   */
  private take(): Waiting[] {
    const batch: Waiting[] = [];
    const left: Waiting[] = [];
    for (const w of this.queue) {
      if (batch.length < MAX_BATCH && !this.busy.has(w.admission.userId)) batch.push(w);
      else left.push(w);
    }
    this.queue = left;
    return batch;
  }

  private async send(batch: Waiting[]): Promise<void> {
    this.metrics.admissionsPerCall.observe(batch.length);
    try {
      const outcomes = await this.call(batch.map((w) => w.admission));
      batch.forEach((w, i) => w.resolve(outcomes[i]));
    } catch (e) {
      if (batch.length > 1 && isPermanentDbError(e)) {
        await Promise.all(batch.map((w) => this.send([w])));
        return;
      }
      batch.forEach((w) => w.reject(e));
    }
  }

  private async call(admissions: Admission[]): Promise<AdmissionOutcome[]> {
    const { rows } = await rawPool(this.db).query<{ turn_id: string; outcome: string; inflight: number; claimed: boolean | null; session_ref: string | null }>({
      name: 'paliadin-admit-turns',
      text: `SELECT turn_id, outcome, inflight, claimed, session_ref FROM paliadin_admit_turns($1::jsonb)`,
      values: [JSON.stringify(admissions.map(toJson))],
    });
    const byTurn = new Map(rows.map((r) => [r.turn_id, r]));
    return admissions.map((a) => {
      const r = byTurn.get(a.turnId);
      if (!r) throw new Error(`paliadin_admit_turns returned nothing for turn ${a.turnId}`);
      if (r.outcome === 'admitted' && r.session_ref) return { outcome: 'admitted', claimed: r.claimed === true, sessionRef: r.session_ref };
      if (r.outcome === 'full') return { outcome: 'full', inflight: r.inflight };
      if (r.outcome === 'inactive') return { outcome: 'inactive' };
      throw new Error(`paliadin_admit_turns answered ${r.outcome} for turn ${a.turnId}`);
    });
  }
}

/** The admission as paliadin_admit_turns reads it. */
function toJson(a: Admission): Record<string, unknown> {
  return {
    turn_id: a.turnId,
    user_id: a.userId,
    session_id: a.sessionId ?? null,
    agent_session: a.agentSession,
    backend: a.backend,
    driver: a.driver,
    browser_session: a.browserSession,
    started_at: a.startedAt.toISOString(),
    user_message: a.userMessage,
    page_origin: a.pageOrigin,
    context: a.context,
    runner_id: a.runnerId,
    cap: a.cap,
    client_tools: a.clientTools,
    meta: { turn_id: a.turnId, started_at: a.startedAt.toISOString() },
    turn_event: { turn_id: a.turnId, input: a.userMessage, started_at: a.startedAt.toISOString() },
  };
}
