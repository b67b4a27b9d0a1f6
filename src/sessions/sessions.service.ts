import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { BadRequestException, ConflictException, ForbiddenException, Inject, Injectable, Logger, NotFoundException, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Principal } from '../auth/principal.js';
import { hasScope } from '../auth/scopes.js';
import { PALIADIN_BACKEND, type PaliadinBackend } from '../backends/backend.interface.js';
import { AppConfig } from '../config/app-config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { PgListener } from '../database/pg-listener.js';
import { SESSION_NAME_RE, agentSessionName } from '../contract/agent-session.js';
import { TurnService } from '../paliadin/turn.service.js';
import type {
  CheckinDto,
  CreateSessionDto,
  CreatedSessionDto,
  ExecDto,
  ExecStartedDto,
  ListSessionsQueryDto,
  SessionDto,
  TerminatedDto,
} from './dto/session.dto.js';
import { parseExpiresIn } from './expires-in.js';
import { DEFAULT_SESSION_NAME, SessionStore, type SessionRecord } from './session-store.js';

const DEFAULT_EXPIRY_MS = 24 * 3600_000;
/** Carries `{origin, agent_session, user_id, email}`: every instance stops that agent if it holds it. */
export const AGENT_STOP_CHANNEL = 'paliadin_agent_stop';

/**
 * Agent sessions as a resource (docs/sessions.md): created, listed, driven,
 * ended. A session is one agent (`agent_session`) whose turns go through the
 * same durable turn pipeline as every other turn. Users see their own;
 * admins (owners, keys with `admin`) see and may force-end all.
 */
@Injectable()
export class SessionsService implements OnModuleInit {
  private readonly logger = new Logger(SessionsService.name);
  private readonly instanceId = randomUUID();

  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    @Inject(PALIADIN_BACKEND) private readonly backend: PaliadinBackend,
    @InjectDataSource() private readonly db: DataSource,
    private readonly turns: TurnService,
    private readonly listener: PgListener,
    private readonly metrics: MetricsService,
  ) {}

  async onModuleInit(): Promise<void> {
    this.metrics.provide('sessions', () =>
      this.db.query<{ status: string; n: number }[]>(`SELECT status, count(*)::int AS n FROM paliadin_sessions GROUP BY status`),
    );
    await this.listener.listen(AGENT_STOP_CHANNEL, (payload) => {
      if (!this.backend.agentsPerInstance) return;
      let msg: { origin?: string; agent_session?: string; user_id?: string; email?: string };
      try {
        msg = JSON.parse(payload) as typeof msg;
      } catch {
        return;
      }
      if (msg.origin === this.instanceId || !msg.agent_session || !msg.user_id) return;
      this.backend
        .reset({ userId: msg.user_id, email: msg.email ?? '', agentSession: msg.agent_session })
        .catch((e: unknown) => this.logger.warn({ err: e }, `could not stop agent ${msg.agent_session}`));
    });
  }

  isAdmin(p: Principal): boolean {
    return p.scopes === 'user' ? this.config.isOwnerEmail(p.email) : hasScope(p.scopes, 'admin');
  }

  async list(p: Principal, q: ListSessionsQueryDto): Promise<SessionDto[]> {
    if (q.user && !this.isAdmin(p)) throw new BadRequestException('user may only be given by admins');
    const userId = this.isAdmin(p) ? q.user : p.userId;
    return (await SessionStore.list(this.db, { userId, status: q.status ?? 'active', limit: q.limit ?? 100 })).map(toSessionDto);
  }

  async create(p: Principal, dto: CreateSessionDto): Promise<CreatedSessionDto> {
    const name = dto.name ?? `s-${Math.random().toString(36).slice(2, 8)}`;
    if (name === DEFAULT_SESSION_NAME) throw new BadRequestException(`name "${DEFAULT_SESSION_NAME}" is reserved for each user's default session`);
    const agentSession = `${agentSessionName(this.config.env.PALIADIN_SESSION_PREFIX, p.agentTag)}-${name}`;
    if (!SESSION_NAME_RE.test(agentSession))
      throw new BadRequestException(`name is too long for this server's session prefix (the agent session "${agentSession}" would exceed 64 characters)`);
    const expiresMs = dto.expires_in === undefined ? DEFAULT_EXPIRY_MS : parseExpiresIn(dto.expires_in);
    if (typeof expiresMs === 'string') throw new BadRequestException(expiresMs);
    this.checkAsking(p, dto);
    if (dto.workspace) await mkdir(path.join(this.config.workspacesDir, dto.workspace), { recursive: true });
    const created = await SessionStore.create(this.db, {
      userId: p.userId,
      name,
      agentSession,
      createdBy: p.apiKeyId ?? p.userId,
      backend: this.backend.kind,
      driver: this.backend.driver ?? null,
      workspace: dto.workspace ?? null,
      expiresAt: new Date(Date.now() + expiresMs),
      permissions: dto.permissions && { ...dto.permissions },
      clientTools: dto.client_tools,
    });
    if (!created) throw new ConflictException({ code: 'SESSION_EXISTS', message: `You already have an active session named "${name}"` });
    const base = `/api/sessions/${created.id}`;
    return {
      ...toSessionDto(created),
      instructions: {
        exec_url: `${base}/exec`,
        events_url: `${base}/events`,
        screen_url: `${base}/screen`,
        checkin_url: `${base}/checkin`,
        text: 'POST {"input": "..."} to exec_url to run a turn; read events_url (Server-Sent Events) to watch the session; POST checkin_url to end it.',
      },
    };
  }

  /**
   * Rules and client tools at creation (docs/requests.md): only for a driver
   * that asks its callers; `allow` rules, which widen what the agent may do
   * unasked, only from admins.
   */
  private checkAsking(p: Principal, dto: CreateSessionDto): void {
    const rules = dto.permissions ?? {};
    const given = (['ask', 'deny', 'allow'] as const).filter((k) => rules[k]?.length);
    const which = this.backend.driver ? `the ${this.backend.kind} backend's ${this.backend.driver} driver` : `the ${this.backend.kind} backend`;
    if (given.length > 0 && !this.backend.takesRules)
      throw new BadRequestException(
        `permissions.${given[0]} cannot be applied by ${which}, whose agent keeps its own rules: they need the local backend's stream-json driver (or acp with PALIADIN_ACP_AGENT=claude)`,
      );
    if (dto.client_tools?.length && !this.backend.offersClientTools)
      throw new BadRequestException(`client_tools cannot be applied by ${which}: client tools need the local backend's stream-json driver`);
    if (rules.allow?.length && !this.isAdmin(p))
      throw new ForbiddenException('permissions.allow may only be given by admins; ask and deny rules are open to all');
  }

  /** The session, if the caller may see it: their own, or any for admins; else the 404 of one that does not exist. */
  async find(p: Principal, id: string): Promise<SessionRecord> {
    const s = await SessionStore.find(this.db, id);
    if (!s || (s.user_id !== p.userId && !this.isAdmin(p))) throw new NotFoundException(`Session ${id} not found`);
    return s;
  }

  async get(p: Principal, id: string): Promise<SessionDto> {
    return toSessionDto(await this.find(p, id));
  }

  /** A turn in the session, as the session's own user (an admin driving another's session acts for them). */
  async exec(p: Principal, id: string, dto: ExecDto): Promise<ExecStartedDto> {
    const s = await this.find(p, id);
    if (s.status !== 'active') throw new BadRequestException('session is not active');
    const owner = s.user_id === p.userId ? p : { ...p, userId: s.user_id };
    const started = await this.turns.start(
      owner,
      { user_message: dto.input.trim(), context: dto.context, session_id: s.id, client_tools: dto.client_tools },
      {
        id: s.id,
        agentSession: s.agent_session,
        workspace: s.workspace ? path.join(this.config.workspacesDir, s.workspace) : undefined,
        rules: s.permissions ?? undefined,
        clientTools: s.client_tools ?? undefined,
      },
    );
    return { ...started, session_id: s.id };
  }

  async checkin(p: Principal, id: string): Promise<CheckinDto> {
    await this.endSession(await this.find(p, id), 'ended', 'checkin');
    return { session_id: id, status: 'ended', message: 'The session has ended: its running turn was cancelled and its agent stopped' };
  }

  async terminate(p: Principal, id: string): Promise<TerminatedDto> {
    await this.endSession(await this.find(p, id), 'terminated', 'terminated by an admin');
    return { status: 'terminated', id, message: 'The session was force-terminated' };
  }

  /**
   * Ends the session (once: a second call is a 400), then cancels its running
   * and waiting turns and stops its agent wherever it runs (the backend's
   * reset: a local pane on this instance, the shim on the agent host, aichat).
   */
  async endSession(s: SessionRecord, status: 'ended' | 'terminated' | 'expired', reason: string): Promise<void> {
    if (!(await SessionStore.end(this.db, s.id, status, reason))) throw new BadRequestException('session is not active');
    // In queue order, which is also the order of the session's index of unfinished turns (docs/database.md).
    const open: { turn_id: string }[] = await this.db.query(
      `SELECT turn_id FROM paliadin_turns WHERE session_ref = $1 AND finished_at IS NULL ORDER BY queue_seq`,
      [s.id],
    );
    await Promise.all(open.map((t) => this.turns.cancelTurn(t.turn_id)));
    try {
      await this.backend.reset({ userId: s.user_id, email: s.user_email, agentSession: s.agent_session });
      // An agent in another instance's process (local panes): that instance stops it.
      if (this.backend.agentsPerInstance) {
        const msg = { origin: this.instanceId, agent_session: s.agent_session, user_id: s.user_id, email: s.user_email };
        await this.db.query(`SELECT pg_notify($1, $2)`, [AGENT_STOP_CHANNEL, JSON.stringify(msg)]);
      }
    } catch (e) {
      // The session is over either way; an agent left running is stopped by its own idle rules.
      this.logger.warn({ err: e, sessionId: s.id }, `could not stop the agent of session ${s.id}`);
    }
  }
}

function toSessionDto(s: SessionRecord): SessionDto {
  return {
    id: s.id,
    name: s.name,
    user_id: s.user_id,
    user_email: s.user_email,
    created_by: s.created_by,
    backend: s.backend,
    driver: s.driver,
    agent_session: s.agent_session,
    workspace: s.workspace,
    status: s.status,
    created_at: s.created_at.toISOString(),
    expires_at: s.expires_at?.toISOString() ?? null,
    ...(s.ended_at ? { ended_at: s.ended_at.toISOString() } : {}),
    last_activity_at: s.last_activity_at.toISOString(),
    turns: s.turns,
    ...(s.running_turn_id ? { running_turn_id: s.running_turn_id } : {}),
    ...(s.agent_session_id ? { agent_session_id: s.agent_session_id } : {}),
    ...(s.permissions ? { permissions: s.permissions } : {}),
    ...(s.grants.length > 0 ? { grants: s.grants } : {}),
    ...(s.client_tools?.length ? { client_tools: s.client_tools.map((t) => t.name) } : {}),
  };
}
