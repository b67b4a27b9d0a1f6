import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Observable, Subscriber } from 'rxjs';
import type { AppConfig } from '../../../config/app-config.js';
import type { BackendEvent, BackendHealth, BackendTurnRequest, PaliadinBackend } from '../../backend.interface.js';
import { SerialQueue } from '../../serial-queue.js';
import { NO_CREDENTIALS, resolveCommand } from '../agent-launch.js';
import { AgentPool, type AgentStart } from '../agent-pool.js';
import type { AgentSessionStore } from '../agent-session-store.js';
import { ConversationRecords } from '../conversation-records.js';
import { AgentStartError, LocalAgentHost } from '../local-agent-host.js';
import { warmAgentTurn, type WarmTurnDeps } from '../warm-agent-turn.js';
import { agentPermissions } from '../stream-json/agent-permissions.js';
import { CHAT_INSTRUCTIONS } from '../stream-json/chat-instructions.js';
import { AcpAgent, AcpAgentGoneError, AcpConversationNotFoundError, type AcpAgentSpec } from './acp-agent.js';
import { acpAgentKind, type AcpAgentKind } from './acp-agents.js';
import { answerPermission } from './acp-permissions.js';
import { AcpTranslator } from './acp-translator.js';

// After a cancel, how long the agent gets to answer its prompt before it is stopped
// (the next turn of the session must not hear the rest of this one).
const UNSTICK_MS = 5_000;
// How often a failed look at the agent (its version, for /health) is tried again.
const PROBE_RETRY_MS = 30_000;

/**
 * PALIADIN_BACKEND=local with PALIADIN_LOCAL_DRIVER=acp: any agent that
 * speaks the Agent Client Protocol (docs/local-drivers.md, "The ACP
 * driver"): Claude through its ACP adapter, Codex, Gemini, or a command of
 * one's own. One agent process per agent session, in the same pool as the
 * other drivers; one `session/prompt` per turn, its updates streamed as
 * they come; the agent's own session id stored, so that a new process
 * (after an idle stop, a restart, on another instance) loads the
 * conversation where the agent can.
 */
export class AcpLocalBackend implements PaliadinBackend, OnModuleInit, OnApplicationShutdown {
  readonly kind = 'local';
  readonly driver: string;
  readonly agentsPerInstance = true;
  readonly mode = 'streaming';
  // The agent's permission requests become the caller's (docs/requests.md).
  readonly offersRequests = true;
  readonly takesRules: boolean;
  readonly pool: AgentPool<AcpAgent, AgentStart>;
  private readonly logger = new Logger('LocalBackend');
  private readonly turns = new SerialQueue();
  private readonly host: LocalAgentHost;
  private readonly agent: AcpAgentKind;
  private readonly conversations: ConversationRecords;
  private readonly warm: WarmTurnDeps<AcpAgent>;
  /** What the agent says it is (`codex-acp 0.16.0`), once one has started; or why none could. */
  private seen?: { version: string } | { problem: string; at: number };
  private probing?: Promise<void>;

  constructor(
    private readonly config: AppConfig,
    sessions: AgentSessionStore,
  ) {
    this.agent = acpAgentKind(config.env);
    this.driver = `acp:${this.agent.name}`;
    // Only Claude reads our permission rules (its adapter takes Claude Code's own settings).
    this.takesRules = this.agent.sessionMeta !== undefined;
    this.host = new LocalAgentHost(config, { claude: config.env.PALIADIN_ACP_AGENT === 'claude' });
    this.conversations = new ConversationRecords(sessions);
    this.pool = new AgentPool('agent', (session, signal, how) => this.startAgent(session, signal, how), {
      maxAgents: config.env.PALIADIN_MAX_PANES,
      idleMs: config.env.PALIADIN_AGENT_IDLE_MS,
    });
    this.warm = {
      pool: this.pool,
      conversations: this.conversations,
      turns: this.turns,
      thinkingIntervalMs: config.env.PALIADIN_THINKING_INTERVAL_MS,
      logger: this.logger,
    };
  }

  agentProcesses(): number {
    return this.pool.size;
  }

  async onModuleInit(): Promise<void> {
    await this.host.start();
    // Its version for /health, found by starting it once; a failure shows there (and in the first turn).
    this.probing = this.probe();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.probing;
    await this.pool.closeAll();
    await this.host.stop();
  }

  runTurn(req: BackendTurnRequest): Observable<BackendEvent> {
    return warmAgentTurn(this.warm, req, (agent, sub, signal) => this.converse(agent, req, sub, signal));
  }

  /** One prompt to the agent, its updates as events, until its answer, its end, or the turn's abort. */
  private async converse(agent: AcpAgent, req: BackendTurnRequest, sub: Subscriber<BackendEvent>, signal: AbortSignal): Promise<void> {
    const session = req.agentSession;
    const startedMs = Date.now();
    let sentSinceTick = false;
    let heard = false;
    const emit = (ev: BackendEvent) => {
      if (signal.aborted) return;
      sentSinceTick = true;
      sub.next(ev);
    };
    const cwd = agent.spec.launch.cwd;
    const translator = new AcpTranslator(cwd, emit);
    const permissions = agent.spec.permissions;
    // Proof of life while the agent works without a word for us (a tool running, thinking).
    const heartbeat = setInterval(() => {
      if (!sentSinceTick && (heard || translator.toolRunning)) emit({ type: 'heartbeat', elapsedSeconds: Math.floor((Date.now() - startedMs) / 1000) });
      sentSinceTick = false;
      heard = false;
    }, this.config.env.PALIADIN_THINKING_INTERVAL_MS);
    let unstick: NodeJS.Timeout | undefined;
    const onAbort = () => {
      agent.cancel();
      unstick = setTimeout(() => {
        this.logger.warn({ session, stderr: agent.stderrTail() }, 'agent did not end the cancelled prompt; stopping it');
        void this.pool.close(session);
      }, UNSTICK_MS);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort);
    const costBefore = agent.cost;
    try {
      // A conversation that starts here, with an agent we cannot give a system prompt, opens with our instructions.
      const opening = this.agent.instructionsInPrompt && agent.turns === 0 && !agent.stored ? [CHAT_INSTRUCTIONS] : [];
      const response = await agent.prompt([...opening, req.message], {
        update: (u) => {
          heard = true;
          translator.take(u);
        },
        permission: (request, withdrawn) => answerPermission(request, { asks: req.asks, ask: permissions.ask, cwd }, AbortSignal.any([signal, withdrawn])),
      });
      agent.cost = translator.cost ?? agent.cost;
      // Recorded before the turn ends, so the next turn, wherever it runs, sees this one.
      await this.conversations.record(agent);
      if (!signal.aborted) translator.finish(response, costBefore);
    } catch (e) {
      if (signal.aborted) return;
      if (e instanceof AcpAgentGoneError) {
        this.logger.warn({ session, turnId: req.turnId, reason: e.message, stderr: agent.stderrTail() }, 'agent ended mid-turn');
        emit({
          type: 'error',
          code: 'upstream_error',
          message: `The agent "${this.agent.name}" stopped in the middle of the answer (${e.message}); the next turn starts it again`,
          retryable: true,
        });
        return;
      }
      // The agent answered the prompt with an error (its model unreachable, refused the request).
      this.logger.warn({ err: e, session, turnId: req.turnId }, 'the agent could not answer');
      emit({ type: 'error', code: 'upstream_error', message: `The agent could not answer: ${errorText(e)}`, retryable: true });
    } finally {
      clearInterval(heartbeat);
      clearTimeout(unstick);
      signal.removeEventListener('abort', onAbort);
    }
  }

  private async startAgent(session: string, signal: AbortSignal, how: AgentStart): Promise<AcpAgent> {
    try {
      return await this.startSessionAgent(session, signal, how);
    } catch (e) {
      // A turn's agent that cannot start says so on /health too, whether or not the probe has finished.
      if (e instanceof AgentStartError) this.seen = { problem: e.message, at: Date.now() };
      throw e;
    }
  }

  private async startSessionAgent(session: string, signal: AbortSignal, how: AgentStart): Promise<AcpAgent> {
    // Each agent session works in a directory of its own (its session's workspace, when it names one).
    const workspace = how.workspace ?? path.join(this.config.agentCwd, session);
    await mkdir(workspace, { recursive: true });
    const spec = await this.spec(session, workspace, how, await this.conversations.stored(session));
    let agent: AcpAgent;
    try {
      agent = await AcpAgent.start(spec, signal);
    } catch (e) {
      if (!(e instanceof AcpConversationNotFoundError)) throw e;
      this.logger.warn(
        { session, conversation: spec.resume, reason: e.message },
        'the stored conversation cannot be loaded (another HOME?); starting a new one',
      );
      await this.conversations.clear(session).catch(() => undefined);
      agent = await AcpAgent.start({ ...spec, resume: undefined }, signal);
    }
    this.seen = { version: agent.version ?? 'unknown' };
    // A new conversation is recorded at once: even a crash in its first turn leaves it loadable.
    if (agent.conversationId !== agent.stored?.id) await this.conversations.record(agent);
    return agent;
  }

  /** How a session's agent is started: the command, our environment without our secrets, its rules. */
  private async spec(session: string, workspace: string, how: AgentStart, resume: AcpAgentSpec['resume']): Promise<AcpAgentSpec> {
    if (!this.host.hasModel()) throw new AgentStartError(`The agent cannot answer: ${NO_CREDENTIALS}`);
    const found = this.agent.command();
    if ('problem' in found) throw new AgentStartError(`The ACP agent "${this.agent.name}" is ${found.problem}`);
    const base = this.host.baseLaunch();
    const command = await resolveCommand(found.command, base.env.PATH);
    if (!command) throw new AgentStartError(`The ACP agent command "${found.command}" was not found on the agent's PATH`);
    const env = this.config.env;
    const permissions = agentPermissions(
      { tools: env.PALIADIN_AGENT_TOOLS, allow: env.PALIADIN_AGENT_ALLOW, ask: env.PALIADIN_AGENT_ASK, deny: env.PALIADIN_AGENT_DENY },
      workspace,
      how.rules,
    );
    return {
      session,
      name: this.agent.name,
      launch: {
        ...base,
        command,
        args: [...found.args, ...env.PALIADIN_ACP_ARGS.split(/\s+/).filter(Boolean)],
        cwd: workspace,
        env: { ...base.env, ...this.agent.env },
      },
      missingFileReadsEmpty: this.agent.missingFileReadsEmpty,
      resume,
      permissions,
      sessionMeta: this.agent.sessionMeta?.({ instructions: CHAT_INSTRUCTIONS, permissions }),
      mode: this.agent.askingMode,
      startTimeoutMs: env.PALIADIN_AGENT_START_TIMEOUT_MS,
    };
  }

  /** Starts the agent once, without a session, for what it says it is; why it cannot start otherwise. */
  private async probe(): Promise<void> {
    try {
      const spec = await this.spec('probe', this.config.agentCwd, {}, undefined);
      const agent = await AcpAgent.start({ ...spec, sessionless: true }, new AbortController().signal);
      this.seen = { version: agent.version ?? 'unknown' };
      await agent.kill();
    } catch (e) {
      this.seen = { problem: e instanceof AgentStartError ? e.message : errorText(e), at: Date.now() };
      this.logger.warn(`the ACP agent "${this.agent.name}" could not be started: ${this.seen.problem}`);
    }
  }

  /** Ends the session's agent and forgets its conversation: the next turn starts a fresh one. */
  async reset(user: { agentSession: string }): Promise<void> {
    await this.pool.close(user.agentSession);
    await this.conversations.clear(user.agentSession);
  }

  health(): Promise<BackendHealth> {
    const seen = this.seen;
    if (seen && 'problem' in seen) {
      if (Date.now() - seen.at > PROBE_RETRY_MS && !this.pool.size) this.probing = this.probe();
      return Promise.resolve({ status: 'down', detail: `${this.driver}: ${seen.problem}` });
    }
    const demo = this.host.demoNotice ? `; ${this.host.demoNotice}` : '';
    const version = seen ? ` ${seen.version}` : ' (starting)';
    return Promise.resolve({
      status: 'up',
      detail: `agent ${this.driver}${version}; ${this.pool.size}/${this.config.env.PALIADIN_MAX_PANES} agents live${demo}`,
    });
  }
}

function errorText(e: unknown): string {
  const err = e as { message?: unknown; data?: unknown };
  const data = err.data && typeof err.data === 'object' ? (err.data as { message?: unknown }).message : undefined;
  return String(typeof data === 'string' ? data : (err.message ?? e)).slice(0, 500);
}
