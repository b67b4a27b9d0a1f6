import { Logger } from '@nestjs/common';
import { Observable } from 'rxjs';
import type { AppConfig } from '../../config/app-config.js';
import { sanitiseForTerminal } from '../../contract/envelope.js';
import type {
  BackendEvent,
  BackendHealth,
  BackendTurnRequest,
  LateAnswer,
  LateAnswers,
  PaliadinBackend,
  TerminalScreen,
  UnansweredTurn,
} from '../backend.interface.js';
import { handOver } from '../backend.interface.js';
import { LATE_ANSWER_WINDOW_MS } from '../../contract/envelope.js';
import { HealthCache } from '../health-cache.js';
import { SerialQueue } from '../serial-queue.js';
import { SHIM_NO_ANSWER, ShimError, callShim, parseCapture, type SshTarget } from './ssh-shim.js';

const FETCH_TIMEOUT_MS = 8_000;

/**
 * PALIADIN_BACKEND=remote: the agent runs in tmux on another host, reached
 * over SSH through scripts/paliadin-shim (docs/agent-protocol.md). Messages travel
 * base64-encoded in an argument array; nothing reaches a shell.
 */
export class RemoteBackend implements PaliadinBackend {
  readonly kind = 'remote';
  readonly mode = 'oneshot';
  // Each look at the screen is an SSH round trip.
  readonly screenPollMs = 1_000;
  readonly lateAnswers: LateAnswers;
  private readonly logger = new Logger(RemoteBackend.name);
  private readonly target: SshTarget;
  private readonly turns = new SerialQueue();
  /** Per user session (the shim checks that session's tmux). */
  private readonly healthCache = new HealthCache();

  constructor(private readonly config: AppConfig) {
    const e = config.env;
    const { PALIADIN_REMOTE_HOST: host, PALIADIN_REMOTE_USER: user, PALIADIN_REMOTE_KEY_PATH: keyPath, PALIADIN_REMOTE_KNOWN_HOSTS: knownHostsPath } = e;
    // validate-env demands all four for this backend; said again here so the types know it too.
    if (!host || !user || !keyPath || !knownHostsPath) {
      throw new Error('PALIADIN_REMOTE_HOST, _USER, _KEY_PATH and _KNOWN_HOSTS must be set when PALIADIN_BACKEND=remote');
    }
    this.target = { host, port: e.PALIADIN_REMOTE_PORT, user, keyPath, knownHostsPath };
    // A turn's answer is fetched later (the shim's `fetch` verb reads the answer file
    // the agent writes) whenever run-turn may have reached the host without returning
    // the answer; classify() in ssh-shim.ts gives exactly those failures these codes:
    // the shim's own `timeout`, `upstream_error` for a connection that dropped after
    // the host let us in, and `interrupted` (the instance died mid-turn). A turn that
    // never got there (host unreachable, key refused, the shim refusing) ends with
    // another code and is never fetched.
    this.lateAnswers = { codes: ['timeout', 'upstream_error', 'interrupted'], windowMs: LATE_ANSWER_WINDOW_MS, find: (t) => this.fetchLate(t) };
  }

  runTurn(req: BackendTurnRequest): Observable<BackendEvent> {
    return new Observable<BackendEvent>((sub) => {
      const abort = new AbortController();
      this.turns
        .run(req.agentSession, async () => {
          if (abort.signal.aborted) return;
          await this.gate(req.agentSession, abort.signal);
          if (!(await handOver(req))) return;
          const b64 = Buffer.from(sanitiseForTerminal(req.message), 'utf8').toString('base64');
          const answer = await callShim(this.target, ['run-turn', req.agentSession, req.turnId, b64], { signal: abort.signal });
          sub.next({ type: 'done', response: answer });
        })
        .catch((e: unknown) => {
          if (abort.signal.aborted) return;
          const err = e instanceof ShimError ? e : new ShimError('shim_error', (e as Error).message, null);
          if (err.code === 'timeout') {
            sub.next({
              type: 'error',
              code: 'timeout',
              message: 'The agent did not answer in time; if its answer comes later, it is added to this turn',
              retryable: true,
            });
          } else if (err.code === 'upstream_error') {
            sub.next({
              type: 'error',
              code: 'upstream_error',
              message: `The connection to the agent host broke during the turn (${err.message}); if the agent still answers, the answer is added to this turn`,
              retryable: true,
            });
          } else sub.next({ type: 'error', code: err.code, message: err.message, retryable: err.code === 'mriver_unreachable' });
        });
      return () => abort.abort();
    });
  }

  /** The session's tmux pane on the agent host (the shim's `capture`); undefined when there is none. */
  async screen(agentSession: string): Promise<TerminalScreen | undefined> {
    try {
      return parseCapture(await callShim(this.target, ['capture', agentSession], { timeoutMs: FETCH_TIMEOUT_MS }));
    } catch (e) {
      // The shim's "nothing there": no tmux session of that name.
      if (e instanceof ShimError && e.exitCode === SHIM_NO_ANSWER) return undefined;
      throw e;
    }
  }

  async reset(user: { agentSession: string }): Promise<void> {
    this.healthCache.forget(user.agentSession);
    await callShim(this.target, ['reset', user.agentSession], { timeoutMs: FETCH_TIMEOUT_MS });
  }

  async health(): Promise<BackendHealth> {
    const session = `${this.config.env.PALIADIN_SESSION_PREFIX}-health`;
    try {
      await this.healthCache.refresh(session, () => this.probe(session));
      return { status: 'up', detail: `agent host ${this.target.user}@${this.target.host}:${this.target.port}` };
    } catch (e) {
      return { status: 'down', detail: (e as Error).message };
    }
  }

  /** The health gate before a turn. Whatever broke, run-turn was not sent yet: a dropped probe is `mriver_unreachable`, not a candidate. */
  private async gate(session: string, signal: AbortSignal): Promise<void> {
    try {
      await this.healthCache.gate(session, () => this.probe(session, signal));
    } catch (e) {
      if (e instanceof ShimError && (e.code === 'upstream_error' || e.code === 'timeout')) throw new ShimError('mriver_unreachable', e.message, e.exitCode);
      throw e;
    }
  }

  /** `health <session>` must print ok. */
  private async probe(session: string, signal?: AbortSignal): Promise<void> {
    const out = await callShim(this.target, ['health', session], { signal, timeoutMs: this.config.env.PALIADIN_HEALTH_TIMEOUT_MS });
    if (out.trim() !== 'ok')
      throw new ShimError('mriver_unreachable', `the agent host's shim answered health with ${JSON.stringify(out.trim().slice(0, 80))}`, 0);
  }

  /** A timed-out turn's answer, fetched through the shim once the agent has written it. */
  private async fetchLate(turn: UnansweredTurn): Promise<LateAnswer> {
    try {
      return { status: 'found', response: await callShim(this.target, ['fetch', turn.turnId], { timeoutMs: FETCH_TIMEOUT_MS }) };
    } catch (e) {
      if (e instanceof ShimError && e.exitCode === SHIM_NO_ANSWER) return { status: 'none' };
      this.logger.warn(`fetching the late answer of ${turn.turnId} failed: ${(e as Error).message}`);
      return { status: 'unreachable', detail: (e as Error).message };
    }
  }
}
