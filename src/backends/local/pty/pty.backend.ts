import { access, constants, mkdir, readdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Observable, type Subscriber } from 'rxjs';
import type { AppConfig } from '../../../config/app-config.js';
import { LATE_ANSWER_WINDOW_MS, buildEnvelope } from '../../../contract/envelope.js';
import { seconds } from '../../../contract/seconds.js';
import type {
  BackendEvent,
  BackendHealth,
  BackendTurnRequest,
  LateAnswer,
  LateAnswers,
  PaliadinBackend,
  TerminalScreen,
  UnansweredTurn,
} from '../../backend.interface.js';
import { handOver } from '../../backend.interface.js';
import { SerialQueue } from '../../serial-queue.js';
import type { AgentLaunch } from '../agent-launch.js';
import { AgentPool } from '../agent-pool.js';
import { trustDirectory } from '../agent-home.js';
import { AgentStartError, LocalAgentHost } from '../local-agent-host.js';
import type { AgentPane } from './agent-pane.js';
import { inputText, isIdle } from './agent-screen.js';
import { readIfStable, waitForAnswerFile } from './answer-file.js';
import { startPane } from './pane-start.js';

const ANSWER_FILE_MAX_AGE_MS = 24 * 3600_000;
// After Escape, how long a stuck agent gets to come back to its prompt before it is restarted.
const UNSTICK_MS = 5_000;
// Output can still arrive after the agent exits; one more look at the answer file after this.
const EXIT_GRACE_MS = 200;

/**
 * PALIADIN_BACKEND=local with PALIADIN_LOCAL_DRIVER=pty: Claude Code in a
 * pseudo-terminal on this host, one pane per user session. A turn types the
 * envelope into the user's pane and waits for the answer file the agent
 * writes (docs/agent-protocol.md).
 */
export class PtyLocalBackend implements PaliadinBackend, OnModuleInit, OnApplicationShutdown {
  readonly kind = 'local';
  readonly driver = 'pty';
  // Agents are processes of this instance: stopping one must reach whichever instance holds it.
  readonly agentsPerInstance = true;
  // Another instance has no pane with this conversation: a turn accepted here runs here or not at all.
  readonly pinnedTurns = true;
  readonly mode = 'oneshot';
  readonly lateAnswers: LateAnswers;
  /** The panes, by agent session; a pane's `How` is its session's workspace. */
  readonly pool: AgentPool<AgentPane, string | undefined>;
  private readonly logger = new Logger('LocalBackend');
  private readonly turns = new SerialQueue();
  private readonly host: LocalAgentHost;

  constructor(private readonly config: AppConfig) {
    this.host = new LocalAgentHost(config);
    this.pool = new AgentPool(
      'agent pane',
      async (session, signal, cwd) => startPane(session, await this.launchIn(cwd), signal, config.env.PALIADIN_AGENT_START_TIMEOUT_MS),
      { maxAgents: config.env.PALIADIN_MAX_PANES },
    );
    this.lateAnswers = { codes: ['timeout'], windowMs: LATE_ANSWER_WINDOW_MS, find: (t) => this.findLateAnswer(t) };
  }

  agentProcesses(): number {
    return this.pool.size;
  }

  /** The session's pane as its headless terminal shows it; undefined when it has no live pane on this instance. */
  screen(agentSession: string): Promise<TerminalScreen | undefined> {
    return Promise.resolve(this.pool.agentOf(agentSession)?.snapshot());
  }

  async onModuleInit(): Promise<void> {
    await this.host.start();
    // Named sessions' workspaces are trusted through their parent, written once before any agent of
    // ours runs: a running Claude Code rewrites .claude.json and could undo a later write.
    const home = this.host.home;
    if (home) await trustDirectory(home, this.config.workspacesDir);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.closeAll();
    await this.host.stop();
  }

  runTurn(req: BackendTurnRequest): Observable<BackendEvent> {
    return new Observable<BackendEvent>((sub) => {
      const abort = new AbortController();
      this.turns
        .run(req.agentSession, () => this.turn(req, sub, abort.signal))
        .catch((e: unknown) => {
          this.logger.error({ err: e, turnId: req.turnId }, 'local turn failed');
          sub.next({ type: 'error', code: 'upstream_error', message: 'The local agent backend failed' });
        });
      // Unsubscribed (cancel, shutdown, the turn's ceiling): the turn task stops and tidies the pane.
      return () => abort.abort();
    });
  }

  private async turn(req: BackendTurnRequest, sub: Subscriber<BackendEvent>, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const waitMs = this.config.env.PALIADIN_RESPONSE_WAIT_MS;
    try {
      let pane: AgentPane;
      try {
        pane = await this.readyPane(req.agentSession, req.workspace, signal, waitMs);
      } catch (e) {
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- the turn may be aborted while we awaited
        if (signal.aborted) return;
        if (e instanceof AgentStartError) {
          sub.next({ type: 'error', code: 'tmux_unavailable', message: e.message });
          return;
        }
        throw e;
      }
      const outPath = path.join(this.config.responseDir, `${req.turnId}.md`);
      if (!(await handOver(req))) return;
      if (!(await pane.submit(buildEnvelope(req.turnId, outPath, req.message)))) {
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- the turn may be aborted while we awaited
        if (!signal.aborted) sub.next({ type: 'error', code: 'upstream_error', message: 'The agent did not take the message' });
        return;
      }
      const answer = await this.waitForAnswer(pane, outPath, waitMs, signal);
      if (answer.kind === 'aborted') await this.stopTurn(pane, req.turnId);
      else if (answer.kind === 'answer') sub.next({ type: 'done', response: answer.text });
      else if (answer.kind === 'timeout') {
        this.logger.warn({ turnId: req.turnId, screen: pane.tail() }, 'no answer file within the wait window');
        sub.next({
          type: 'error',
          code: 'timeout',
          message: `The agent did not answer within ${seconds(waitMs)}; if its answer comes later, it is added to this turn`,
          retryable: true,
        });
      } else {
        sub.next({
          type: 'error',
          code: 'upstream_error',
          message: `The agent exited (code ${answer.exitCode}) before answering; the next turn starts it again`,
          retryable: true,
        });
      }
    } finally {
      this.pool.release(req.agentSession);
    }
  }

  /**
   * Stops the agent working on an abandoned turn, as a person would with
   * Escape, and waits until it is back at its prompt before the next turn of
   * this user may type. Claude Code puts an interrupted message back into
   * the input box (or notes "Interrupted"); that is the sign it has settled.
   */
  private async stopTurn(pane: AgentPane, turnId: string): Promise<void> {
    if (!pane.isAlive) return;
    await pane.interrupt();
    const settled = (lines: string[]) => isIdle(lines) && (inputText(lines).includes(turnId) || lines.some((l) => l.includes('Interrupted')));
    if (!(await pane.waitFor(settled, UNSTICK_MS))) this.logger.warn({ screen: pane.tail() }, 'agent did not confirm the interrupt');
    await pane.clearInput();
  }

  /**
   * The session's pane at its prompt. An agent still busy (with a late answer
   * of an earlier turn) gets the wait window; one stuck beyond it (a dialog,
   * a runaway task) is interrupted, and restarted if that does not help.
   */
  private async readyPane(session: string, workspace: string | undefined, signal: AbortSignal, waitMs: number): Promise<AgentPane> {
    const pane = await this.pool.acquire(session, signal, workspace);
    if (await pane.waitFor(isIdle, waitMs, signal)) return pane;
    if (signal.aborted) throw new AgentStartError('cancelled');
    if (pane.isAlive) {
      this.logger.warn({ session, screen: pane.tail() }, 'agent not at its prompt; interrupting it');
      await pane.interrupt();
      if (await pane.waitFor(isIdle, UNSTICK_MS, signal)) return pane;
    }
    this.logger.warn({ session }, 'agent stuck or gone; starting a new one');
    await this.pool.close(session);
    return this.pool.acquire(session, signal, workspace);
  }

  /**
   * The launch for a new pane, in its session's workspace when it has one
   * (trusted through PALIADIN_WORKSPACES_DIR since the start, or Claude
   * Code's trust dialog would hold the pane short of its prompt).
   */
  private async launchIn(workspace: string | undefined): Promise<AgentLaunch> {
    const launch = await this.host.resolvedLaunch();
    if (!workspace) return launch;
    await mkdir(workspace, { recursive: true });
    return { ...launch, cwd: workspace };
  }

  private async waitForAnswer(
    pane: AgentPane,
    outPath: string,
    waitMs: number,
    signal: AbortSignal,
  ): Promise<{ kind: 'answer'; text: string } | { kind: 'timeout' } | { kind: 'aborted' } | { kind: 'exited'; exitCode: number }> {
    // The file wait also ends when the pane exits first; AbortSignal.any covers a turn aborted before we got here.
    const stop = new AbortController();
    try {
      return await Promise.race([
        waitForAnswerFile(outPath, { timeoutMs: waitMs, signal: AbortSignal.any([signal, stop.signal]) }),
        pane.exited.then(async ({ exitCode }) => {
          // Cut short once the race is decided: a pane that exits after its answer leaves no timer or read behind.
          await sleep(EXIT_GRACE_MS, undefined, { signal: stop.signal });
          const text = await readIfStable(outPath);
          return text !== undefined ? { kind: 'answer' as const, text } : { kind: 'exited' as const, exitCode };
        }),
      ]);
    } finally {
      stop.abort();
    }
  }

  async reset(user: { agentSession: string }): Promise<void> {
    await this.pool.close(user.agentSession);
  }

  async health(): Promise<BackendHealth> {
    const command = await this.host.command();
    if ('problem' in command) return { status: 'down', detail: command.problem };
    try {
      await access(this.config.responseDir, constants.W_OK);
    } catch {
      return { status: 'down', detail: `response directory ${this.config.responseDir} is not writable` };
    }
    const demo = this.host.demoNotice ? `; ${this.host.demoNotice}` : '';
    return { status: 'up', detail: `agent ${command.path}; ${this.pool.size}/${this.config.env.PALIADIN_MAX_PANES} panes live${demo}` };
  }

  /** A timed-out turn's answer file, once it exists and is complete. */
  private async findLateAnswer(turn: UnansweredTurn): Promise<LateAnswer> {
    const text = await readIfStable(path.join(this.config.responseDir, `${turn.turnId}.md`));
    return text !== undefined ? { status: 'found', response: text } : { status: 'none' };
  }

  /** Answer files are kept a day (late answers, debugging), then deleted. */
  async sweep(): Promise<void> {
    const cutoff = Date.now() - ANSWER_FILE_MAX_AGE_MS;
    const names = await readdir(this.config.responseDir).catch(() => [] as string[]);
    for (const name of names.filter((n) => n.endsWith('.md'))) {
      const file = path.join(this.config.responseDir, name);
      const info = await stat(file).catch(() => undefined);
      if (info && info.mtimeMs < cutoff) await unlink(file).catch(() => undefined);
    }
  }
}
