import { isDeepStrictEqual } from 'node:util';
import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Principal } from '../auth/principal.js';
import { SessionStore } from '../sessions/session-store.js';
import { SessionsService } from '../sessions/sessions.service.js';
import type { AnswerRequestDto, RequestDto } from './dto/request.dto.js';
import { parseAnswer } from './request-answer.js';
import { RequestHub, toResolution } from './request-hub.js';
import { RequestStore, type RequestRecord } from './request-store.js';

/** The 404 of a request that does not exist, or is not the caller's. */
const notFound = (id: string) => new NotFoundException(`Request ${id} not found`);

/**
 * Requests as the API shows them (docs/requests.md): a turn's, a
 * session's, and answers. A user sees and answers only the requests of
 * their own turns; an answer is stored before the agent hears it, and a
 * request is answered once: the same answer again is a 200, another one a
 * 409 with what was stored.
 */
@Injectable()
export class RequestsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly hub: RequestHub,
    private readonly sessions: SessionsService,
  ) {}

  async ofTurn(p: Principal, turnId: string): Promise<RequestDto[]> {
    const [turn]: ({ user_id: string } | undefined)[] = await this.db.query(`SELECT user_id FROM paliadin_turns WHERE turn_id = $1`, [turnId]);
    if (turn?.user_id !== p.userId) throw new NotFoundException(`Turn ${turnId} not found`);
    return (await RequestStore.ofTurn(this.db, turnId)).map(toRequestDto);
  }

  /** A session's requests (open, or the newest 200 of all); admins see every session's. */
  async ofSession(p: Principal, sessionId: string, status: 'open' | 'all'): Promise<RequestDto[]> {
    await this.sessions.find(p, sessionId);
    return (await RequestStore.ofSession(this.db, sessionId, status === 'open', 200)).map(toRequestDto);
  }

  async answer(p: Principal, turnId: string, requestId: string, posted: AnswerRequestDto): Promise<RequestDto> {
    const row = await RequestStore.find(this.db, requestId);
    if (row?.turn_id !== turnId || row.user_id !== p.userId) throw notFound(requestId);
    const parsed = parseAnswer(row.kind, row.data, posted);
    if ('problem' in parsed) throw new BadRequestException(parsed.problem);
    const by = p.via === 'api_key' ? 'api_key' : 'user';
    const grant = row.kind === 'permission' && 'decision' in parsed.outcome && parsed.outcome.decision === 'allow_always' ? row.grant_rule : null;
    const settled = row.resolved_at
      ? { won: false, record: row }
      : await this.hub.settle(requestId, { by, ...parsed, answeredBy: p.apiKeyId ?? p.userId }, async (tx, resolved) => {
          // Stored with the answer: later calls under the same rule do not ask, on any instance, after any restart.
          if (grant && resolved.session_ref) await SessionStore.addGrant(tx, resolved.session_ref, grant);
        });
    const stored = settled.record;
    if (settled.won) return toRequestDto(stored);
    // Answered already: the same answer again is a retry (200); anything else learns what stands.
    const same =
      (stored.resolved_by === 'user' || stored.resolved_by === 'api_key') &&
      isDeepStrictEqual(stored.outcome, parsed.outcome) &&
      isDeepStrictEqual(stored.answer ?? undefined, parsed.answer);
    if (same) return toRequestDto(stored);
    throw new ConflictException({
      code: 'REQUEST_RESOLVED',
      message: `Request ${requestId} was resolved already (by ${stored.resolved_by}); its outcome stands`,
      request: toRequestDto(stored),
    });
  }
}

function resolvedFields(r: RequestRecord): Pick<RequestDto, 'outcome' | 'by' | 'resolved_at'> {
  const { outcome, by, at } = toResolution(r);
  return { outcome: outcome, by, resolved_at: at.toISOString() };
}

export function toRequestDto(r: RequestRecord): RequestDto {
  return {
    request_id: r.request_id,
    turn_id: r.turn_id,
    session_id: r.session_ref,
    kind: r.kind,
    status: r.resolved_at ? 'resolved' : 'open',
    data: r.data,
    created_at: r.created_at.toISOString(),
    expires_at: r.expires_at.toISOString(),
    ...(r.resolved_at ? resolvedFields(r) : {}),
  };
}
