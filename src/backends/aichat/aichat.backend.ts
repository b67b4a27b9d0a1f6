import { Logger } from '@nestjs/common';
import { Observable, type Subscriber } from 'rxjs';
import { signUserToken } from '../../auth/jwt-verifier.js';
import type { AppConfig } from '../../config/app-config.js';
import { sessionNameOf } from '../../contract/agent-session.js';
import { sanitiseForTerminal } from '../../contract/envelope.js';
import {
  handOver,
  type BackendEvent,
  type BackendHealth,
  type BackendTurnRequest,
  type LateAnswer,
  type LateAnswers,
  type PaliadinBackend,
  type UnansweredTurn,
} from '../backend.interface.js';
import { HealthCache } from '../health-cache.js';
import { AichatClient } from './aichat-client.js';
import { AichatError, failureDetail, networkError } from './aichat-errors.js';
import { findAnswer, type ConversationTurn } from './aichat-recovery.js';
import { aichatMeta, readTurnStream } from './aichat-stream.js';
import { PRIMER_EXCHANGES, PRIMER_SIDE_CHARS, aichatTurnMeta, aichatUsername, cut, type AichatTurnBody, type PrimerExchange } from './aichat-turn-body.js';

const RECOVERY_TIMEOUT_MS = 8_000;
// aichat's /chat/health is one for the whole service.
const SERVICE = 'aichat';

interface HealthAnswer {
  ok?: boolean;
  claude_reachable?: boolean;
  tmux_reachable?: boolean;
}

interface TurnAnswer {
  response?: string;
  meta?: unknown;
  pane_spawned?: boolean;
  conversation_id?: string;
}

/**
 * PALIADIN_BACKEND=aichat: a central HTTP service owns the agent panes
 * (docs/aichat.md). Turns stream from /chat/turn/stream (or, with
 * streaming off, come whole from /chat/turn); answers that outlive their
 * turn are found again in aichat's conversation store.
 */
export class AichatBackend implements PaliadinBackend {
  readonly kind = 'aichat';
  readonly mode: 'oneshot' | 'streaming';
  readonly lateAnswers: LateAnswers;
  private readonly logger = new Logger(AichatBackend.name);
  private readonly client: AichatClient;
  private readonly persona: string;
  private readonly healthCache = new HealthCache();
  /** User windows (persona:username) that have had their primer in this process. */
  private readonly primed = new Set<string>();

  constructor(private readonly config: AppConfig) {
    const { PALIADIN_AICHAT_URL: url, PALIADIN_AICHAT_TOKEN: token } = config.env;
    // validate-env demands both for this backend; said again here so the types know it too.
    if (!url || !token) throw new Error('PALIADIN_AICHAT_URL and PALIADIN_AICHAT_TOKEN must be set when PALIADIN_BACKEND=aichat');
    this.client = new AichatClient(url, token);
    this.persona = config.env.PALIADIN_AICHAT_PERSONA;
    this.mode = config.env.PALIADIN_AICHAT_STREAM ? 'streaming' : 'oneshot';
    // A turn is looked up in aichat's conversation store when aichat may have
    // received it and no definitive refusal came back. The error code carries
    // that on its own, because every failure is classified where it happens
    // (aichat-errors.ts): after the request may have gone out (connection
    // reset or closed, a bare 5xx from a proxy, a cut or malformed stream, a
    // stream without `done`) it is `upstream_error`; silence, our deadlines
    // and aichat's own `timeout` leave the agent working; `interrupted` is an
    // instance that died mid-turn. Definitive refusals never use these codes:
    // the health gate, a refused or unresolvable host (`mriver_unreachable`),
    // aichat's error envelopes (`shim_auth_failed`, `shim_error`,
    // `mriver_unreachable`), `jwt_mint_failed`, and `cancelled` (the user
    // no longer wants the answer).
    this.lateAnswers = {
      // Every failure after the request may have reached aichat; definitive refusals (its error
      // envelope, auth, the health gate, no connection) get other codes and are never asked about.
      codes: ['upstream_error', 'upstream_silence', 'timeout', 'interrupted'],
      windowMs: config.env.PALIADIN_RECOVERY_GIVEUP_MS,
      find: (t) => this.findLateAnswer(t),
    };
  }

  runTurn(req: BackendTurnRequest): Observable<BackendEvent> {
    return new Observable<BackendEvent>((sub) => {
      const abort = new AbortController();
      const progress = { sent: false, over: false };
      this.turn(req, sub, abort.signal, progress).catch((e: unknown) => {
        if (abort.signal.aborted) return;
        const err = e instanceof AichatError ? e : unexpected(e, progress.sent);
        sub.next({ type: 'error', code: err.code, message: err.message, ...(err.retryable !== undefined ? { retryable: err.retryable } : {}) });
      });
      // A stream that brought its end has been closed already: aborting it then would only
      // build errors nobody reads (three, each with a stack trace, at every turn's end).
      return () => {
        if (!progress.over) abort.abort();
      };
    });
  }

  private async turn(req: BackendTurnRequest, sub: Subscriber<BackendEvent>, signal: AbortSignal, progress: { sent: boolean; over: boolean }): Promise<void> {
    await this.healthGate(signal);
    const username = this.windowUser(req);
    const window = `${this.persona}:${username}`;
    let jwt: string | undefined;
    try {
      jwt = await this.mintJwt(req);
    } catch (e) {
      this.logger.error({ err: e, turnId: req.turnId }, 'could not sign the per-turn JWT');
      throw new AichatError('jwt_mint_failed', 'The per-turn token for aichat could not be signed');
    }
    const primer = this.primed.has(window) ? [] : await this.primer(req);
    const meta = aichatTurnMeta(req);
    const body: AichatTurnBody = {
      persona: this.persona,
      username,
      user_id: req.userId,
      session_id: req.sessionId,
      message: sanitiseForTerminal(req.message),
      ...(jwt ? { jwt } : {}),
      ...(primer?.length ? { primer } : {}),
      ...(meta ? { meta } : {}),
    };

    let paneSpawned = false;
    if (!(await handOver(req))) return;
    // From here on aichat may have the turn.
    progress.sent = true;
    if (this.mode === 'oneshot') {
      const timeout = AbortSignal.timeout(this.config.env.PALIADIN_AICHAT_TIMEOUT_MS);
      const res = await this.client.json<TurnAnswer>('POST', '/chat/turn', body, AbortSignal.any([signal, timeout]));
      paneSpawned = res.pane_spawned === true;
      if (typeof res.conversation_id === 'string') sub.next({ type: 'conversation', conversationId: res.conversation_id });
      this.notePrimer(window, paneSpawned || primer === undefined);
      progress.over = true;
      sub.next({ type: 'done', response: typeof res.response === 'string' ? res.response : '', meta: aichatMeta(res.meta) });
      return;
    }
    const res = await this.client.stream('/chat/turn/stream', body, signal);
    let ended: boolean;
    try {
      ended = await readTurnStream(res.body, (events) => {
        for (const ev of events) {
          if (ev.type === 'pane_spawned') {
            paneSpawned = true;
            continue;
          }
          if (ev.type === 'done') this.notePrimer(window, paneSpawned || primer === undefined);
          if (ev.type === 'done' || ev.type === 'error') {
            // Nothing after the end is read: readTurnStream closes the connection, without an error.
            progress.over = true;
            sub.next(ev);
            return true;
          }
          sub.next(ev);
        }
        return false;
      });
    } catch (e) {
      if (e instanceof AichatError) throw e;
      throw new AichatError('upstream_error', `The connection to aichat broke before the answer was complete: ${failureDetail(e)}`, true);
    }
    if (!ended) throw new AichatError('upstream_error', 'aichat ended the stream without an answer', true);
  }

  async reset(user: { userId: string; email: string; agentSession: string }): Promise<void> {
    const username = this.windowUser(user);
    // The next turn starts a new pane, which needs the conversation again.
    this.primed.delete(`${this.persona}:${username}`);
    const res = await this.client.json<{ ok?: boolean }>('POST', '/chat/reset', { persona: this.persona, username }, AbortSignal.timeout(RECOVERY_TIMEOUT_MS));
    if (res.ok !== true) throw new AichatError('shim_error', 'aichat did not confirm the reset');
  }

  async health(): Promise<BackendHealth> {
    try {
      await this.healthCache.refresh(SERVICE, () => this.probe(AbortSignal.timeout(this.config.env.PALIADIN_HEALTH_TIMEOUT_MS)));
      return { status: 'up', detail: `aichat at ${this.config.env.PALIADIN_AICHAT_URL}${this.mode === 'oneshot' ? ' (one-shot)' : ''}` };
    } catch (e) {
      return { status: 'down', detail: (e as Error).message };
    }
  }

  /** Before a turn (HealthCache's rule); either failure is `mriver_unreachable`. */
  private async healthGate(signal: AbortSignal): Promise<void> {
    try {
      await this.healthCache.gate(SERVICE, () => this.probe(AbortSignal.any([signal, AbortSignal.timeout(this.config.env.PALIADIN_HEALTH_TIMEOUT_MS)])));
    } catch (e) {
      if (signal.aborted) throw e;
      throw new AichatError('mriver_unreachable', (e as Error).message, true);
    }
  }

  private async probe(signal: AbortSignal): Promise<void> {
    let h: HealthAnswer;
    try {
      h = await this.client.json<HealthAnswer>('GET', '/chat/health', undefined, signal);
    } catch (e) {
      throw new Error(`aichat health check failed: ${(e as Error).message}`, { cause: e });
    }
    if (h.ok !== true) {
      throw new Error(`aichat reports not ok (claude_reachable=${String(h.claude_reachable)}, tmux_reachable=${String(h.tmux_reachable)})`);
    }
  }

  /** The aichat window of an agent session: the user's, or for a named session (`<default>-<name>`) one of its own. */
  private windowUser(s: { email: string; userId: string; agentSession: string }): string {
    return aichatUsername(s.email, s.userId, sessionNameOf(this.config.env.PALIADIN_SESSION_PREFIX, s.agentSession));
  }

  /** Signs the per-turn token when PALIADIN_AICHAT_JWT_SECRET is set (sub = user id, role = authenticated). */
  protected async mintJwt(req: BackendTurnRequest): Promise<string | undefined> {
    const secret = this.config.env.PALIADIN_AICHAT_JWT_SECRET;
    if (!secret) return undefined;
    return signUserToken(new TextEncoder().encode(secret), { sub: req.userId, email: req.email }, this.config.env.PALIADIN_AICHAT_JWT_TTL_S);
  }

  /** A fresh pane knows nothing: the next turn sends the primer again. Otherwise this window is primed. */
  private notePrimer(window: string, paneSpawned: boolean): void {
    if (paneSpawned) this.primed.delete(window);
    else this.primed.add(window);
  }

  /**
   * Up to 6 earlier answered exchanges of this browser session, oldest first,
   * each side cut to 2000 characters. When they cannot be read (the database
   * is busy), the turn goes without: an answer now beats none, and the
   * window stays unprimed so the next turn sends them.
   */
  private async primer(req: BackendTurnRequest): Promise<PrimerExchange[] | undefined> {
    try {
      const earlier = (await req.earlierExchanges?.(PRIMER_EXCHANGES)) ?? [];
      return earlier.map((x) => ({ user: cut(x.user, PRIMER_SIDE_CHARS), assistant: cut(x.assistant, PRIMER_SIDE_CHARS) }));
    } catch (e) {
      this.logger.warn({ err: e, turnId: req.turnId }, 'could not read the earlier exchanges for the primer; sending the turn without');
      return undefined;
    }
  }

  /**
   * Recovery (docs/aichat.md): the stored conversation, else the user's
   * conversations newest first; the assistant entry after the user entry
   * carrying our message, at or after the turn's start. 8 s per call.
   */
  private async findLateAnswer(turn: UnansweredTurn): Promise<LateAnswer> {
    const signal = () => AbortSignal.timeout(RECOVERY_TIMEOUT_MS);
    const message = sanitiseForTerminal(turn.message);
    try {
      let ids: string[];
      if (turn.aichatConversationId) ids = [turn.aichatConversationId];
      else {
        const username = this.windowUser(turn);
        const q = new URLSearchParams({ persona: this.persona, username });
        const list = await this.client.json<{ conversations?: { id: string; updated_at?: string }[] }>('GET', `/chat/conversations?${q}`, undefined, signal());
        ids = (list.conversations ?? [])
          .filter((c) => typeof c.id === 'string')
          .sort((a, b) => (b.updated_at ?? '').localeCompare(a.updated_at ?? ''))
          .map((c) => c.id);
      }
      for (const id of ids) {
        const { turns } = await this.client.json<{ turns?: ConversationTurn[] }>(
          'GET',
          `/chat/conversations/${encodeURIComponent(id)}/turns`,
          undefined,
          signal(),
        );
        const answer = findAnswer(turns ?? [], message, turn.startedAt);
        if (answer !== undefined) return { status: 'found', response: answer };
      }
      return { status: 'none' };
    } catch (e) {
      const err = e instanceof AichatError ? e : networkError(e, 'recovery');
      // aichat saying "no such conversation" is an answer: it has nothing. Anything else means we cannot tell.
      if (err.status === 404) return { status: 'none' };
      return { status: 'unreachable', detail: err.message };
    }
  }
}

/**
 * A failure that is not aichat's (the database, a bug). Before the request
 * went out aichat cannot have the turn: `shim_error`, never looked up later.
 * After it, aichat may have it: `upstream_error`, and the answer is looked for.
 */
function unexpected(e: unknown, sent: boolean): AichatError {
  const message = e instanceof Error ? e.message : String(e);
  return sent
    ? new AichatError('upstream_error', `The turn failed after it was sent to aichat: ${message}`, true)
    : new AichatError('shim_error', `The turn could not be sent to aichat: ${message}`);
}
