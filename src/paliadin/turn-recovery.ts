import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PALIADIN_BACKEND, type LateAnswers, type PaliadinBackend, type UnansweredTurn } from '../backends/backend.interface.js';
import { AppConfig } from '../config/app-config.js';
import { agentSessionName, firstAgentTag } from '../contract/agent-session.js';
import type { ErrorCode } from '../contract/error-codes.js';
import { storableText } from '../contract/storable-text.js';
import { answeredTurn } from './turn-answer.js';
import { TurnEventLog } from './turn-event-log.js';
import type { TurnRecord } from './turn-rows.js';
import { MetricsService } from '../metrics/metrics.service.js';

export type RecoveryState = 'recovered' | 'pending' | 'lost';

interface UnansweredRow {
  turn_id: string;
  user_id: string;
  email: string | null;
  session_id: string;
  user_message: string;
  started_at: Date;
  error_code: ErrorCode | null;
  aichat_conversation_id: string | null;
  agent_session: string | null;
}

const UNANSWERED_COLUMNS = `t.turn_id, t.user_id, u.email, t.session_id, t.user_message, t.started_at, t.error_code, t.aichat_conversation_id, t.agent_session`;

/**
 * Answers that arrive after their turn ended (docs/agent-protocol.md#late-answers, docs/aichat.md#recovery). The
 * backend says where to look; this completes the row and appends `content` +
 * `end` to the event log, so a client that resumes or asks /recover gets
 * the answer. The janitor runs it for every candidate turn, /recover for one.
 */
@Injectable()
export class TurnRecovery {
  private readonly logger = new Logger(TurnRecovery.name);

  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    @Inject(PALIADIN_BACKEND) private readonly backend: PaliadinBackend,
    @InjectDataSource() private readonly db: DataSource,
    private readonly log: TurnEventLog,
    private readonly metrics: MetricsService,
  ) {}

  /** The recovery state of one of the caller's turns, delivering its late answer when there is one. */
  async recover(row: TurnRecord): Promise<RecoveryState> {
    if (row.response !== null) return 'recovered';
    if (!row.finished_at) return 'pending';
    const late = this.backend.lateAnswers;
    if (late && row.backend === this.backend.kind && late.codes.includes(row.error_code as ErrorCode)) {
      const [candidate]: UnansweredRow[] = await this.db.query(
        `SELECT ${UNANSWERED_COLUMNS} FROM paliadin_turns t LEFT JOIN users u ON u.id = t.user_id WHERE t.turn_id = $1`,
        [row.turn_id],
      );
      const outcome = await this.tryDeliver(candidate, late);
      if (outcome === 'recovered') return 'recovered';
      // Cannot tell (the upstream is unreachable): never give up on a network error.
      if (outcome === 'unreachable') return 'pending';
    }
    return this.isPastGiveUp(row.started_at) ? 'lost' : 'pending';
  }

  /** Janitor: looks once for the answer of every recent turn that may still get one. Returns how many landed. */
  async sweep(): Promise<number> {
    const late = this.backend.lateAnswers;
    if (!late) return 0;
    const rows: UnansweredRow[] = await this.db.query(
      `SELECT ${UNANSWERED_COLUMNS} FROM paliadin_turns t LEFT JOIN users u ON u.id = t.user_id
       WHERE t.backend = $1 AND t.response IS NULL AND t.finished_at IS NOT NULL AND t.error_code IS NOT NULL AND t.error_code = ANY($2::text[])
         AND t.finished_at > now() - make_interval(secs => $3::double precision / 1000)
       ORDER BY t.finished_at`,
      [this.backend.kind, [...late.codes], late.windowMs],
    );
    let delivered = 0;
    for (const row of rows) {
      try {
        if ((await this.tryDeliver(row, late)) === 'recovered') delivered++;
      } catch (e) {
        // One turn that cannot be completed must not keep every later one from its answer.
        this.logger.error({ err: e, turnId: row.turn_id }, `could not deliver the late answer of turn ${row.turn_id}`);
      }
    }
    return delivered;
  }

  private async tryDeliver(row: UnansweredRow, late: LateAnswers): Promise<'recovered' | 'none' | 'unreachable'> {
    const turn: UnansweredTurn = {
      turnId: row.turn_id,
      userId: row.user_id,
      email: row.email ?? '',
      // Turns from before agent sessions were recorded ran in the user's default one, named then by its first tag.
      agentSession: row.agent_session ?? agentSessionName(this.config.env.PALIADIN_SESSION_PREFIX, firstAgentTag(row.user_id)),
      sessionId: row.session_id,
      message: row.user_message,
      startedAt: row.started_at,
      errorCode: row.error_code,
      aichatConversationId: row.aichat_conversation_id,
    };
    let found;
    try {
      found = await late.find(turn);
    } catch (e) {
      this.logger.warn({ err: e, turnId: row.turn_id }, 'looking for a late answer failed');
      return 'unreachable';
    }
    if (found.status !== 'found') return found.status;
    const { events, completion } = answeredTurn({
      turnId: row.turn_id,
      raw: storableText(found.response),
      meta: found.meta,
      durationMs: Date.now() - row.started_at.getTime(),
      streamed: false,
      aichatConversationId: row.aichat_conversation_id ?? undefined,
    });
    // false: someone else delivered it first, which is just as good.
    if (await this.log.deliverLate(row.turn_id, events, completion)) {
      this.metrics.lateAnswersDelivered.inc();
      this.logger.log(`late answer delivered to turn ${row.turn_id} (it ended with ${row.error_code})`);
    }
    return 'recovered';
  }

  private isPastGiveUp(startedAt: Date): boolean {
    return Date.now() - startedAt.getTime() > this.config.env.PALIADIN_RECOVERY_GIVEUP_MS;
  }
}
