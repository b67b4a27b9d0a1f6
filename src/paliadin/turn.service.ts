import { randomUUID } from 'node:crypto';
import { BadGatewayException, BadRequestException, HttpException, HttpStatus, Inject, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Principal } from '../auth/principal.js';
import { PALIADIN_BACKEND, type PaliadinBackend } from '../backends/backend.interface.js';
import { AppConfig } from '../config/app-config.js';
import { agentSessionName } from '../contract/agent-session.js';
import type { ClientToolDeclaration, SessionRules } from '../contract/requests.js';
import type { CreateTurnDto, TurnCreatedDto } from './dto/create-turn.dto.js';
import type { HistoryQueryDto } from './dto/history-query.dto.js';
import type { RecoveredTurnDto, TurnHistoryRowDto, TurnViewDto } from './dto/turn-view.dto.js';
import { TurnEventLog } from './turn-event-log.js';
import { TurnAdmissions } from './turn-admissions.js';
import { TurnRecovery } from './turn-recovery.js';
import { TURN_COLUMNS, earlierExchanges, toHistoryRow, toTurnView, type TurnRecord } from './turn-rows.js';
import { TurnRunners } from './turn-runners.js';
import { SessionStore } from '../sessions/session-store.js';
import { BusyException } from '../http/busy.exception.js';
import { CallBatcher } from '../database/call-batcher.js';

// How long a cancel waits for another instance to stop its runner before ending the row itself.
const REMOTE_CANCEL_WAIT_MS = 3_000;

/** The named session a turn runs in (its caller checked it is theirs and active), as the turn needs it. */
export interface TurnSession {
  id: string;
  agentSession: string;
  workspace?: string;
  /** Permission rules it added at its creation (docs/requests.md#rules). */
  rules?: SessionRules;
  /** Client tools it declared at its creation; a turn may add more. */
  clientTools?: ClientToolDeclaration[];
}

/**
 * The turn's lifecycle: the audit row is written before the backend is called,
 * the run is detached from the request, and a user only ever sees their own turns.
 */
@Injectable()
export class TurnService {
  private readonly logger = new Logger(TurnService.name);
  /**
   * Turn lookups (every reader's GET checks its turn first): those that
   * arrive while others are on their way go in one statement, so a crowd
   * of readers costs a few round trips, not a pool connection each.
   */
  private readonly lookups = new CallBatcher<{ turnId: string; userId: string }, TurnRecord | undefined>({
    call: (asked) => this.findMany(asked),
    key: (a) => a.turnId,
    maxCalls: 4,
    maxBatch: 500,
  });

  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    @Inject(PALIADIN_BACKEND) private readonly backend: PaliadinBackend,
    @InjectDataSource() private readonly db: DataSource,
    private readonly runners: TurnRunners,
    private readonly log: TurnEventLog,
    private readonly recovery: TurnRecovery,
    private readonly admissions: TurnAdmissions,
  ) {}

  /**
   * Starts a turn in the user's default agent session, or in `session` (a
   * session of theirs, checked by the caller): the turn is counted on the
   * session and its `turn` event recorded in the same transaction.
   */
  async start(user: Principal, dto: CreateTurnDto, session?: TurnSession): Promise<TurnCreatedDto> {
    const clientTools = this.clientTools(dto, session);
    const liveCap = this.config.env.PALIADIN_MAX_LIVE_TURNS;
    // The place is taken now, before the first await: a burst of POSTs cannot all pass the check.
    if (!this.runners.tryReserve(liveCap)) throw new BusyException(`This server is running ${liveCap} turns, its limit; try again shortly`);
    try {
      return await this.create(user, dto, session, clientTools);
    } finally {
      this.runners.unreserve();
    }
  }

  /** The session's client tools, then the turn's; a 400 when the backend cannot offer them or a name is taken. */
  private clientTools(dto: CreateTurnDto, session?: TurnSession): ClientToolDeclaration[] | undefined {
    const own = dto.client_tools ?? [];
    if (own.length > 0 && !this.backend.offersClientTools) {
      const which = this.backend.driver ? `${this.backend.kind} backend's ${this.backend.driver} driver` : `${this.backend.kind} backend`;
      throw new BadRequestException(`client_tools cannot be offered by the ${which}: client tools need the local backend's stream-json driver`);
    }
    const inherited = session?.clientTools ?? [];
    const taken = new Set(inherited.map((t) => t.name));
    const clash = own.findIndex((t) => taken.has(t.name));
    if (clash >= 0) throw new BadRequestException(`client_tools[${clash}].name "${own[clash].name}" is declared by the session already`);
    const all = [...inherited, ...own];
    return all.length > 0 ? all : undefined;
  }

  private async create(
    user: Principal,
    dto: CreateTurnDto,
    session: TurnSession | undefined,
    clientTools: ClientToolDeclaration[] | undefined,
  ): Promise<TurnCreatedDto> {
    const turnId = randomUUID();
    const givenSessionId = dto.session_id?.trim();
    const sessionId = givenSessionId || randomUUID();
    const context: Record<string, string> | undefined = dto.context
      ? Object.fromEntries(Object.entries(dto.context).filter(([, v]) => typeof v === 'string'))
      : undefined;
    const pageOrigin = dto.page_origin || context?.page_origin || null;
    const cap = this.config.env.PALIADIN_MAX_INFLIGHT_PER_USER;

    // Stored before it is answered: the row, its meta event and its session's count go in together,
    // under the user's lock, with the cap checked and the turn claimed there (TurnAdmissions).
    const startedAt = new Date();
    const agentSession = session?.agentSession ?? agentSessionName(this.config.env.PALIADIN_SESSION_PREFIX, user.agentTag);
    const admitted = await this.admissions.admit({
      turnId,
      userId: user.userId,
      sessionId: session?.id,
      agentSession,
      backend: this.backend.kind,
      driver: this.backend.driver ?? null,
      browserSession: sessionId,
      startedAt,
      userMessage: dto.user_message,
      pageOrigin,
      context: context ?? null,
      runnerId: this.runners.runnerId,
      cap,
      // The turn's own client tools, for another instance that may have to run it (TurnAdoption).
      clientTools: dto.client_tools?.length ? dto.client_tools : null,
    });
    if (admitted.outcome === 'inactive') throw new BadRequestException('session is not active');
    if (admitted.outcome === 'full') {
      throw new HttpException(
        `You already have ${admitted.inflight} turns running (the limit is ${cap}); wait for one to finish`,
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
    const { claimed, sessionRef } = admitted;

    this.runners.start(
      {
        turnId,
        userId: user.userId,
        email: user.email,
        agentSession,
        workspace: session?.workspace,
        sessionId,
        message: dto.user_message,
        pageOrigin: pageOrigin ?? undefined,
        context,
        // A browser session made up just now has no earlier exchanges: no need to look.
        earlierExchanges: givenSessionId ? (limit) => earlierExchanges(this.db, user.userId, sessionId, turnId, limit) : () => Promise.resolve([]),
        clientTools,
        rules: session?.rules,
      },
      claimed,
      sessionRef,
    );
    return { turn_id: turnId, sse_url: `/api/paliadin/stream/${turnId}` };
  }

  /**
   * Throws the 404 of find() unless the turn is the caller's. A turn this
   * instance runs is checked against its run, without a round trip: a
   * crowd's readers arrive just after their POSTs, when every round trip
   * waits its turn behind theirs.
   */
  async checkOwner(user: Principal, turnId: string): Promise<void> {
    if (this.runners.get(turnId)?.request.userId === user.userId) return;
    await this.find(user, turnId);
  }

  /** The caller's own turn, or the 404 of a turn that does not exist. */
  async find(user: Principal, turnId: string): Promise<TurnRecord> {
    const row = await this.lookups.submit({ turnId, userId: user.userId });
    if (!row) throw new NotFoundException(`Turn ${turnId} not found`);
    return row;
  }

  /** The turns asked for, each only if it is its asker's: one statement for the lookups of a crowd's readers. */
  private async findMany(asked: { turnId: string; userId: string }[]): Promise<(TurnRecord | undefined)[]> {
    const rows: TurnRecord[] = await this.db.query(`SELECT ${TURN_COLUMNS} FROM paliadin_turns WHERE turn_id = ANY($1::uuid[])`, [asked.map((a) => a.turnId)]);
    const byId = new Map(rows.map((r) => [r.turn_id, r]));
    return asked.map((a) => {
      // uuid columns come back in lower case; what was asked may not be.
      const row = byId.get(a.turnId.toLowerCase());
      return row?.user_id === a.userId.toLowerCase() ? row : undefined;
    });
  }

  async get(user: Principal, turnId: string): Promise<TurnViewDto> {
    return toTurnView(await this.find(user, turnId));
  }

  /** The caller's turns of one browser session, oldest first: the newest `limit` of them. */
  async history(user: Principal, q: HistoryQueryDto): Promise<TurnHistoryRowDto[]> {
    const session = q.session?.trim();
    if (!session) return [];
    const rows: TurnRecord[] = await this.db.query(
      `SELECT * FROM (
         SELECT ${TURN_COLUMNS} FROM paliadin_turns WHERE user_id = $1 AND session_id = $2 ORDER BY started_at DESC, turn_id DESC LIMIT $3
       ) newest ORDER BY started_at, turn_id`,
      [user.userId, session, q.limit ?? 50],
    );
    return rows.map(toHistoryRow);
  }

  /**
   * Stops a running turn (`cancelled`). Cancelling a finished turn, or again,
   * changes nothing and answers with the row.
   */
  async cancel(user: Principal, turnId: string): Promise<TurnViewDto> {
    const row = await this.find(user, turnId);
    if (!row.finished_at) await this.cancelTurn(turnId, row.started_at);
    return this.get(user, turnId);
  }

  /** Asks whichever instance runs the turn to stop it; ends the row here if nobody does in time. */
  async cancelTurn(turnId: string, startedAt?: Date): Promise<void> {
    await this.runners.requestCancel(turnId);
    if (!(await this.waitFinished(turnId, REMOTE_CANCEL_WAIT_MS))) {
      // Nobody ran it (its instance died) or it did not answer in time: end the row here.
      await this.log.failTurn(turnId, startedAt ?? new Date(), { code: 'cancelled', message: 'The turn was cancelled' });
    }
  }

  /** Ends the caller's default agent session: the agent is stopped, the session row ended; the next turn starts both afresh. */
  async reset(user: Principal): Promise<{ ok: true }> {
    try {
      await this.backend.reset({
        userId: user.userId,
        email: user.email,
        agentSession: agentSessionName(this.config.env.PALIADIN_SESSION_PREFIX, user.agentTag),
      });
    } catch (e) {
      this.logger.error({ err: e, userId: user.userId }, 'backend reset failed');
      throw new BadGatewayException('The agent backend could not reset the session; try again');
    }
    await SessionStore.endDefault(this.db, user.userId, 'reset');
    return { ok: true };
  }

  /** The row plus whether its answer is there, still coming, or given up on; a late answer found now is delivered first. */
  async recover(user: Principal, turnId: string): Promise<RecoveredTurnDto> {
    const row = await this.find(user, turnId);
    const state = await this.recovery.recover(row);
    const current = state === 'recovered' && row.response === null ? await this.find(user, turnId) : row;
    return { ...toTurnView(current), recovery_state: state };
  }

  private async waitFinished(turnId: string, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const [row]: ({ finished_at: Date | null } | undefined)[] = await this.db.query(`SELECT finished_at FROM paliadin_turns WHERE turn_id = $1`, [turnId]);
      if (!row || row.finished_at) return true;
      await new Promise((r) => setTimeout(r, 50));
    }
    return false;
  }
}
