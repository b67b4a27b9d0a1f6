import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Observable, Subscriber } from 'rxjs';
import type { AppConfig } from '../../../config/app-config.js';
import type { BackendEvent, BackendHealth, BackendTurnRequest, PaliadinBackend } from '../../backend.interface.js';
import { SerialQueue } from '../../serial-queue.js';
import { AgentPool, type AgentStart } from '../agent-pool.js';
import type { AgentSessionStore } from '../agent-session-store.js';
import { ConversationRecords } from '../conversation-records.js';
import { LocalAgentHost } from '../local-agent-host.js';
import { warmAgentTurn, type WarmTurnDeps } from '../warm-agent-turn.js';
import { agentMessage } from './agent-input.js';
import { agentPermissions } from './agent-permissions.js';
import { AgentProcess, ConversationNotFoundError, loadSdk } from './agent-process.js';
import { CHAT_INSTRUCTIONS } from './chat-instructions.js';
import { callClientTool, toolGate } from './tool-gate.js';
import { TurnTranslator } from './turn-translator.js';

// After an interrupt, how long the agent gets to end the turn before it is stopped
// (the next turn of the session must not hear the rest of this one).
const UNSTICK_MS = 5_000;
// Claude Code's own limit on a client tool call comes this long after the request's deadline, so the request's ends it first.
const CLIENT_TOOL_GRACE_MS = 60_000;

/**
 * PALIADIN_BACKEND=local with PALIADIN_LOCAL_DRIVER=stream-json: one warm
 * headless Claude Code process per agent session (the Claude Agent SDK over
 * `--input-format stream-json --output-format stream-json
 * --include-partial-messages`), one user message per turn, the answer
 * streamed as the model writes it. The agent's own session id is stored, so
 * a new process (after an idle stop, a restart, on another instance)
 * resumes the conversation. README: The local backend.
 */
export class StreamJsonLocalBackend implements PaliadinBackend, OnModuleInit, OnApplicationShutdown {
  readonly kind = 'local';
  readonly driver = 'stream-json';
  // Agents are processes of this instance: stopping one must reach whichever instance holds it.
  readonly agentsPerInstance = true;
  readonly mode = 'streaming';
  // Permission prompts and questions become requests; the caller's own tools are offered (docs/requests.md).
  readonly offersRequests = true;
  readonly offersClientTools = true;
  readonly takesRules = true;
  readonly pool: AgentPool<AgentProcess, AgentStart>;
  private readonly logger = new Logger('LocalBackend');
  private readonly turns = new SerialQueue();
  private readonly host: LocalAgentHost;
  private readonly conversations: ConversationRecords;
  private readonly warm: WarmTurnDeps<AgentProcess>;

  constructor(
    private readonly config: AppConfig,
    sessions: AgentSessionStore,
  ) {
    this.conversations = new ConversationRecords(sessions);
    this.host = new LocalAgentHost(config);
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
    // Loaded now rather than on the first turn; a failure shows there.
    loadSdk().catch((e: unknown) => this.logger.error({ err: e }, 'could not load the Claude Agent SDK'));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.closeAll();
    await this.host.stop();
  }

  runTurn(req: BackendTurnRequest): Observable<BackendEvent> {
    return warmAgentTurn(
      this.warm,
      req,
      (agent, sub, signal) => this.converse(agent, req, sub, signal),
      (agent) => agent.useClientTools(req.clientTools),
    );
  }

  /** One message to the agent, its answer as events, until its result, its end, or the turn's abort. */
  private converse(agent: AgentProcess, req: BackendTurnRequest, sub: Subscriber<BackendEvent>, signal: AbortSignal): Promise<void> {
    const session = req.agentSession;
    const startedMs = Date.now();
    const intervalMs = this.config.env.PALIADIN_THINKING_INTERVAL_MS;
    return new Promise<void>((resolve) => {
      let sentSinceTick = false;
      let heard = false;
      let interrupted = false;
      let unstick: NodeJS.Timeout | undefined;
      const emit = (ev: BackendEvent) => {
        if (signal.aborted) return;
        sentSinceTick = true;
        sub.next(ev);
      };
      const translator = new TurnTranslator(agent.spec.launch.cwd, emit);
      const gate = toolGate({ asks: req.asks, permissions: agent.spec.permissions, cwd: agent.spec.launch.cwd });
      // Proof of life while the agent works without a word for us (a tool running, thinking):
      // the pipeline fails a streaming turn that stays silent too long.
      const heartbeat = setInterval(() => {
        if (!sentSinceTick && (heard || translator.toolRunning)) emit({ type: 'heartbeat', elapsedSeconds: Math.floor((Date.now() - startedMs) / 1000) });
        sentSinceTick = false;
        heard = false;
      }, intervalMs);
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        clearInterval(heartbeat);
        clearTimeout(unstick);
        signal.removeEventListener('abort', onAbort);
        agent.detach();
        resolve();
      };
      const onAbort = () => {
        interrupted = true;
        void agent.interrupt();
        unstick = setTimeout(() => {
          this.logger.warn({ session, stderr: agent.stderrTail() }, 'agent did not end the interrupted turn; stopping it');
          void this.pool.close(session).then(finish);
        }, UNSTICK_MS);
      };
      agent.send(agentMessage(req.message), {
        message: (msg) => {
          heard = true;
          // A new conversation is recorded as soon as its id is known: even a crash mid-turn leaves it resumable.
          if (msg.type === 'system' && msg.subtype === 'init' && msg.session_id !== agent.stored?.id) void this.conversations.record(agent);
          const result = translator.take(msg);
          if (!result) return;
          const costBefore = agent.costTotal;
          agent.costTotal = result.total_cost_usd;
          agent.detach();
          // Recorded before the turn ends, so the next turn, wherever it runs, sees this one.
          void this.conversations.record(agent).then(() => {
            if (!interrupted) translator.finish(result, costBefore);
            finish();
          });
        },
        ended: (reason) => {
          if (!interrupted) {
            this.logger.warn({ session, turnId: req.turnId, reason, stderr: agent.stderrTail() }, 'agent ended mid-turn');
            emit({
              type: 'error',
              code: 'upstream_error',
              message: 'The agent stopped in the middle of the answer; the next turn starts it again and resumes the conversation',
              retryable: true,
            });
          }
          finish();
        },
        canUseTool: gate,
        clientTool: (name, input, toolSignal) => callClientTool(req.asks, name, input, toolSignal),
      });
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort);
    });
  }

  private async startAgent(session: string, signal: AbortSignal, how: AgentStart): Promise<AgentProcess> {
    const launch = await this.host.resolvedLaunch();
    const env = this.config.env;
    // Each agent session works in a directory of its own (its session's workspace, when it names one):
    // the default rules let it read and write there only.
    const workspace = how.workspace ?? path.join(this.config.agentCwd, session);
    await mkdir(workspace, { recursive: true });
    const resume = await this.conversations.stored(session);
    const spec = {
      session,
      launch: { ...launch, cwd: workspace },
      resume,
      permissions: agentPermissions(
        { tools: env.PALIADIN_AGENT_TOOLS, allow: env.PALIADIN_AGENT_ALLOW, ask: env.PALIADIN_AGENT_ASK, deny: env.PALIADIN_AGENT_DENY },
        workspace,
        how.rules,
      ),
      instructions: CHAT_INSTRUCTIONS,
      startTimeoutMs: env.PALIADIN_AGENT_START_TIMEOUT_MS,
      clientToolTimeoutMs: env.PALIADIN_REQUEST_TIMEOUT_MS + CLIENT_TOOL_GRACE_MS,
    };
    try {
      return await AgentProcess.start(spec, signal);
    } catch (e) {
      if (!(e instanceof ConversationNotFoundError)) throw e;
      this.logger.warn({ session, conversation: resume }, 'the stored conversation is gone (another HOME?); starting a new one');
      await this.conversations.clear(session).catch(() => undefined);
      return AgentProcess.start({ ...spec, resume: undefined }, signal);
    }
  }

  /** Ends the session's agent and forgets its conversation: the next turn starts a fresh one. */
  async reset(user: { agentSession: string }): Promise<void> {
    await this.pool.close(user.agentSession);
    await this.conversations.clear(user.agentSession);
  }

  async health(): Promise<BackendHealth> {
    const command = await this.host.command();
    if ('problem' in command) return { status: 'down', detail: command.problem };
    const demo = this.host.demoNotice ? `; ${this.host.demoNotice}` : '';
    return { status: 'up', detail: `agent ${command.path} (stream-json); ${this.pool.size}/${this.config.env.PALIADIN_MAX_PANES} agents live${demo}` };
  }
}
