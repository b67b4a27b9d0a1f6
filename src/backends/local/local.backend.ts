import { access, constants, mkdir, readdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Observable, type Subscriber } from 'rxjs';
import type { AppConfig } from '../../config/app-config.js';
import { LATE_ANSWER_WINDOW_MS, buildEnvelope } from '../../contract/envelope.js';
import { seconds } from '../../contract/seconds.js';
import type { BackendEvent, BackendHealth, BackendTurnRequest, LateAnswer, LateAnswers, PaliadinBackend, UnansweredTurn } from '../backend.interface.js';
import { SerialQueue } from '../serial-queue.js';
import { NO_CREDENTIALS, agentLaunch, demoAgentHome, hasAgentCredentials, resolveCommand, shouldUseDemoModel } from './agent-launch.js';
import { prepareAgentHome } from './agent-home.js';
import type { AgentLaunch, AgentPane } from './agent-pane.js';
import { inputText, isIdle } from './agent-screen.js';
import { readIfStable, waitForAnswerFile } from './answer-file.js';
import { DEMO_API_KEY, DEMO_NOTICE, demoReply } from './demo-model.js';
import { AgentStartError, PanePool } from './pane-pool.js';
import { ScriptedModelServer } from './scripted-model.js';

const ANSWER_FILE_MAX_AGE_MS = 24 * 3600_000;
// After Escape, how long a stuck agent gets to come back to its prompt before it is restarted.
const UNSTICK_MS = 5_000;
// Output can still arrive after the agent exits; one more look at the answer file after this.
const EXIT_GRACE_MS = 200;

/**
 * PALIADIN_BACKEND=local: Claude Code in a pseudo-terminal on this host, one
 * pane per user session. A turn types the envelope into the user's pane and
 * waits for the answer file the agent writes (docs/agent-protocol.md).
 */
export class LocalBackend implements PaliadinBackend, OnModuleInit, OnApplicationShutdown {
  readonly kind = 'local';
  readonly driver = 'pty';
  readonly agentsPerInstance = true;
  readonly mode = 'oneshot';
  readonly lateAnswers: LateAnswers;
  readonly pool: PanePool;
  private readonly logger = new Logger(LocalBackend.name);
  private readonly turns = new SerialQueue();
  private launch?: AgentLaunch;
  private demoModel?: ScriptedModelServer;

  constructor(private readonly config: AppConfig) {
    this.pool = new PanePool(() => this.resolvedLaunch(), {
      maxPanes: config.env.PALIADIN_MAX_PANES,
      startTimeoutMs: config.env.PALIADIN_AGENT_START_TIMEOUT_MS,
    });
    this.lateAnswers = { codes: ['timeout'], windowMs: LATE_ANSWER_WINDOW_MS, find: (t) => this.findLateAnswer(t) };
  }

  async onModuleInit(): Promise<void> {
    await mkdir(this.config.responseDir, { recursive: true });
    await mkdir(this.config.agentCwd, { recursive: true });
    if (shouldUseDemoModel(this.config)) {
      this.demoModel = new ScriptedModelServer(demoReply);
      const baseUrl = await this.demoModel.start();
      const home = demoAgentHome(this.config);
      await prepareAgentHome({ home, cwd: this.config.agentCwd, responseDir: this.config.responseDir, apiKey: DEMO_API_KEY });
      this.launch = agentLaunch(this.config, { baseUrl, apiKey: DEMO_API_KEY, home });
      this.logger.warn(`${DEMO_NOTICE}. Set ANTHROPIC_API_KEY (or log in with claude) for real answers.`);
    } else {
      this.launch = agentLaunch(this.config);
      if (!hasAgentCredentials(this.config)) this.logger.warn(`${NO_CREDENTIALS}: /health reports the backend down and turns fail until then`);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.closeAll();
    await this.demoModel?.stop();
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
        pane = await this.readyPane(req.agentSession, signal, waitMs);
      } catch (e) {
        if (signal.aborted) return;
        if (e instanceof AgentStartError) return sub.next({ type: 'error', code: 'tmux_unavailable', message: e.message });
        throw e;
      }
      const outPath = path.join(this.config.responseDir, `${req.turnId}.md`);
      if (!(await pane.submit(buildEnvelope(req.turnId, outPath, req.message)))) {
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
      } else if (answer.kind === 'exited') {
        sub.next({ type: 'error', code: 'upstream_error', message: `The agent exited (code ${answer.exitCode}) before answering; the next turn starts it again`, retryable: true });
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
  private async readyPane(session: string, signal: AbortSignal, waitMs: number): Promise<AgentPane> {
    const pane = await this.pool.acquire(session, signal);
    if (await pane.waitFor(isIdle, waitMs, signal)) return pane;
    if (signal.aborted) throw new AgentStartError('cancelled');
    if (pane.isAlive) {
      this.logger.warn({ session, screen: pane.tail() }, 'agent not at its prompt; interrupting it');
      await pane.interrupt();
      if (await pane.waitFor(isIdle, UNSTICK_MS, signal)) return pane;
    }
    this.logger.warn({ session }, 'agent stuck or gone; starting a new one');
    await this.pool.close(session);
    return this.pool.acquire(session, signal);
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
          await new Promise((r) => setTimeout(r, EXIT_GRACE_MS));
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
    if (!this.launch) return { status: 'down', detail: 'starting' };
    const command = await resolveCommand(this.launch.command, this.launch.env.PATH);
    if (!command) return { status: 'down', detail: `agent command "${this.launch.command}" not found (PATH of the agent)` };
    try {
      await access(this.config.responseDir, constants.W_OK);
    } catch {
      return { status: 'down', detail: `response directory ${this.config.responseDir} is not writable` };
    }
    if (!this.demoModel && !hasAgentCredentials(this.config)) return { status: 'down', detail: NO_CREDENTIALS };
    const demo = this.demoModel ? `; ${DEMO_NOTICE}` : '';
    return { status: 'up', detail: `agent ${command}; ${this.pool.size}/${this.config.env.PALIADIN_MAX_PANES} panes live${demo}` };
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

  /** The launch with its command resolved now, so installing the agent later needs no restart. */
  private async resolvedLaunch(): Promise<AgentLaunch> {
    const launch = this.launch;
    if (!launch) throw new AgentStartError('The local backend is still starting');
    const command = await resolveCommand(launch.command, launch.env.PATH);
    if (!command) throw new AgentStartError(`The agent command "${launch.command}" was not found on the agent's PATH; install Claude Code or set PALIADIN_AGENT_COMMAND`);
    // Started without a model, Claude Code would only sit at its login screen until the start timeout.
    if (!this.demoModel && !hasAgentCredentials(this.config)) throw new AgentStartError(`The agent cannot answer: ${NO_CREDENTIALS}`);
    return { ...launch, command };
  }
}
