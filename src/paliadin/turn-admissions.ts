import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { CallBatcher } from '../database/call-batcher.js';
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

// Calls in flight at once: enough that one slow call (a user's lock held elsewhere) does not hold up
// every admission, few enough that a crowd's admissions gather into a few calls.
const MAX_CALLS = 4;
// One call carries at most this many admissions.
const MAX_BATCH = 250;

/**
 * Puts turns in: the admissions that arrive while earlier ones are on their
 * way to Postgres go together, in one round trip and one commit
 * (paliadin_admit_turns, docs/event-log.md "Admission"; CallBatcher). One
 * user's admissions go in in the order they arrived.
 */
@Injectable()
export class TurnAdmissions {
  private readonly batcher: CallBatcher<Admission, AdmissionOutcome>;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    metrics: MetricsService,
  ) {
    this.batcher = new CallBatcher({
      call: (admissions) => this.call(admissions),
      key: (a) => a.userId,
      maxCalls: MAX_CALLS,
      maxBatch: MAX_BATCH,
      observe: (n) => metrics.admissionsPerCall.observe(n),
    });
  }

  admit(admission: Admission): Promise<AdmissionOutcome> {
    return this.batcher.submit(admission);
  }

  private async call(admissions: Admission[]): Promise<AdmissionOutcome[]> {
    const { rows } = await rawPool(this.db).query<{ turn_id: string; outcome: string; inflight: number; claimed: boolean | null; session_ref: string | null }>({
      name: 'paliadin-admit-turns',
      text: `SELECT turn_id, outcome, inflight, claimed, session_ref FROM paliadin_admit_turns($1::jsonb)`,
      values: [JSON.stringify(admissions.map(admissionJson))],
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
export function admissionJson(a: Admission): Record<string, unknown> {
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
