import path from 'node:path';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PALIADIN_BACKEND, type BackendTurnRequest, type PaliadinBackend } from '../backends/backend.interface.js';
import { AppConfig } from '../config/app-config.js';
import type { ClientToolDeclaration } from '../contract/requests.js';
import { SessionStore } from '../sessions/session-store.js';
import { TurnEventLog } from './turn-event-log.js';
import { NOT_FINISHED, earlierExchanges } from './turn-rows.js';
import { TurnRunners } from './turn-runners.js';

/** What a turn taken over needs of its row. */
interface OrphanRow {
  turn_id: string;
  user_id: string;
  email: string | null;
  session_id: string;
  user_message: string;
  page_origin: string | null;
  context: Record<string, string> | null;
  agent_session: string;
  session_ref: string | null;
  claimed_at: Date | null;
  client_tools: ClientToolDeclaration[] | null;
  last_seq: number;
}

/** What a turn's stream says when its instance died before it reached the agent, and no other instance runs it. */
export const NEVER_STARTED = 'The server that accepted this turn stopped before the turn started; please ask again';

/**
 * A turn is this instance's to take only if it was accepted for the same
 * agents: the same backend kind and, for a named session, the same driver
 * (a pty session's turn run by stream-json would start a conversation the
 * session never had). $kind and $driver are the query's parameter numbers.
 */
function sameAgents(kind: number, driver: number): string {
  return `t.backend = $${kind}
    AND NOT EXISTS (SELECT 1 FROM paliadin_sessions s WHERE s.id = t.session_ref AND s.driver IS DISTINCT FROM $${driver}::text)`;
}

/**
 * An accepted turn always runs (docs/event-log.md, "When an instance dies").
 * A turn whose instance died before handing it to the agent (it waited in
 * its agent session's queue, or was claimed but not yet sent) has nothing
 * to recover: another instance takes it over, in the queue's order, and
 * runs it under the same id, its stream going on where it was. The taking
 * is a claim in Postgres (the row's runner, while its heartbeat is stale and
 * nothing was handed over), so two instances never both run a turn: one
 * that wakes up late finds its events, its claim and its hand-over refused.
 * Where a turn cannot run on another instance (pty), it ends `interrupted`,
 * saying it never started.
 */
@Injectable()
export class TurnAdoption {
  private readonly logger = new Logger(TurnAdoption.name);

  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    @InjectDataSource() private readonly db: DataSource,
    @Inject(PALIADIN_BACKEND) private readonly backend: PaliadinBackend,
    private readonly runners: TurnRunners,
    private readonly log: TurnEventLog,
  ) {}

  /** Takes over (or, pinned, ends) the turns never handed over of runners silent since `cutoff`; how many. */
  async adoptOrphans(cutoff: Date): Promise<number> {
    const orphans: { turn_id: string; started_at: Date }[] = await this.db.query(
      `SELECT turn_id, started_at FROM paliadin_turns t
       WHERE finished_at IS NULL AND handed_over_at IS NULL
         AND (heartbeat_at IS NULL OR heartbeat_at < $1)
         AND turn_id <> ALL($2::uuid[])
         AND ${sameAgents(3, 4)}
       ORDER BY queue_seq`,
      [cutoff, this.runners.liveTurnIds(), this.backend.kind, this.backend.driver ?? null],
    );
    let taken = 0;
    for (const o of orphans) {
      try {
        if (this.backend.pinnedTurns) {
          const ended = await this.log.failTurn(o.turn_id, o.started_at, {
            code: 'interrupted',
            message: NEVER_STARTED,
            retryable: true,
          });
          if (ended) this.logger.warn(`turn ${o.turn_id} ended as interrupted: its server stopped before it started, and it cannot run here`);
        } else if (await this.adopt(o.turn_id, cutoff)) taken++;
      } catch (e) {
        this.logger.error({ err: e, turnId: o.turn_id }, `could not take over turn ${o.turn_id}`);
      }
    }
    return taken;
  }

  /** Claims the turn for this instance (only while it is still an orphan) and runs it. */
  private async adopt(turnId: string, cutoff: Date): Promise<boolean> {
    const [row]: (OrphanRow | undefined)[] = await this.db.query(
      `WITH taken AS (
         UPDATE paliadin_turns t SET runner_id = $2, heartbeat_at = now()
         WHERE turn_id = $1 AND ${NOT_FINISHED} AND handed_over_at IS NULL
           AND (heartbeat_at IS NULL OR heartbeat_at < $3)
           AND ${sameAgents(4, 5)}
         RETURNING turn_id, user_id, session_id, user_message, page_origin, context, agent_session, session_ref, claimed_at, client_tools
       )
       SELECT taken.*, (SELECT email FROM users u WHERE u.id = taken.user_id) AS email,
              (SELECT COALESCE(MAX(COALESCE(e.last_seq, e.seq)), 1) FROM paliadin_turn_events e WHERE e.turn_id = taken.turn_id)::int AS last_seq
       FROM taken`,
      [turnId, this.runners.runnerId, cutoff, this.backend.kind, this.backend.driver ?? null],
    );
    if (!row) return false;
    const session = row.session_ref ? await SessionStore.find(this.db, row.session_ref) : undefined;
    const named = session && session.name !== 'default' ? session : undefined;
    const clientTools = [...(named?.client_tools ?? []), ...(row.client_tools ?? [])];
    const request: BackendTurnRequest = {
      turnId: row.turn_id,
      userId: row.user_id,
      email: row.email ?? '',
      agentSession: row.agent_session,
      workspace: named?.workspace ? path.join(this.config.workspacesDir, named.workspace) : undefined,
      sessionId: row.session_id,
      message: row.user_message,
      pageOrigin: row.page_origin ?? undefined,
      context: row.context ?? undefined,
      earlierExchanges: (limit) => earlierExchanges(this.db, row.user_id, row.session_id, row.turn_id, limit),
      clientTools: clientTools.length > 0 ? clientTools : undefined,
      rules: named?.permissions ?? undefined,
    };
    this.logger.warn(`turn ${turnId} taken over: its server stopped before handing it to the agent`);
    this.runners.start(request, row.claimed_at !== null, row.session_ref, { lastSeq: row.last_seq });
    return true;
  }
}
