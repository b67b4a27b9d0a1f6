import type { CanUseTool, McpServerConfig, Query, SDKMessage, SDKUserMessage, SpawnedProcess, SpawnOptions } from '@anthropic-ai/claude-agent-sdk';
import type { ClientToolDeclaration } from '../../../contract/requests.js';
import { seconds } from '../../../contract/seconds.js';
import { AgentChild, type AgentExit } from '../agent-child.js';
import type { AgentLaunch } from '../agent-launch.js';
import type { StoredConversation } from '../agent-session-store.js';
import type { Conversing } from '../conversation-records.js';
import { AgentStartError, untilStarted } from '../local-agent-host.js';
import type { AgentPermissions } from './agent-permissions.js';
import { AgentInbox } from './agent-inbox.js';
import { CLIENT_TOOLS_SERVER, clientToolsServer, errorResult, type ClientToolCall } from './client-tools-server.js';

type Sdk = typeof import('@anthropic-ai/claude-agent-sdk');
let sdk: Promise<Sdk> | undefined;

/** The Agent SDK is a large module: loaded once, by the first agent to start (or ahead of it, at boot). */
export function loadSdk(): Promise<Sdk> {
  return (sdk ??= import('@anthropic-ai/claude-agent-sdk'));
}

// How long the agent gets to acknowledge an interrupt (a control request on its stdin).
const INTERRUPT_ACK_MS = 2_000;

export interface AgentProcessSpec {
  /** The agent session it serves (logs, diagnostics). */
  session: string;
  /** Command resolved; `cwd` is the session's workspace; `args` come after the SDK's own flags. */
  launch: AgentLaunch;
  /** The stored conversation to resume, if any. */
  resume?: StoredConversation;
  permissions: AgentPermissions;
  /** Appended to Claude Code's system prompt. */
  instructions: string;
  startTimeoutMs: number;
  /** Claude Code's own limit on one client tool call: beyond the request's deadline, so that one ends first. */
  clientToolTimeoutMs: number;
}

/**
 * What one turn hears from the agent: each message, and the agent's end if
 * it comes first; and what it answers when the agent asks (docs/requests.md):
 * whether a tool may be used, and the caller's own tools' results.
 */
export interface AgentListener {
  message(msg: SDKMessage): void;
  ended(reason: string): void;
  canUseTool: CanUseTool;
  clientTool: ClientToolCall;
}

/** The conversation to resume is not there (another HOME, a wiped ~/.claude): start a new one. */
export class ConversationNotFoundError extends AgentStartError {}

/**
 * One long-lived headless Claude Code process for one agent session, driven
 * through the Claude Agent SDK with streaming input: one user message per
 * turn on its stdin, every message it prints (text deltas included) handed
 * to the turn listening. We spawn the process ourselves (argument array, no
 * shell, its own process group) so that stopping it also stops whatever its
 * tools started.
 */
export class AgentProcess implements Conversing {
  readonly exited: Promise<AgentExit>;
  /** Claude Code's own session id, once it has said it. */
  conversationId: string | undefined;
  /** The conversation as this process last knew it stored (resumed, or recorded since). */
  stored?: StoredConversation;
  /** Turns sent to it so far. */
  turns = 0;
  /**
   * The running cost total of the agent's last result (Claude Code reports a
   * total per process); a turn's cost is the difference. Unknown at first
   * when the conversation was resumed: a resumed total may include earlier turns.
   */
  costTotal?: number;
  private readonly query: Query;
  private readonly inbox = new AgentInbox<SDKUserMessage>();
  private proc?: AgentChild;
  private listener?: AgentListener;
  private alive = true;
  private endReason?: string;
  /** The client tools the agent has now (their declarations as JSON): set again only when a turn brings others. */
  private clientTools = '[]';
  private onExit!: (e: AgentExit) => void;

  private constructor(
    readonly spec: AgentProcessSpec,
    { query }: Sdk,
  ) {
    this.exited = new Promise((resolve) => (this.onExit = resolve));
    this.stored = spec.resume;
    this.costTotal = spec.resume ? undefined : 0;
    this.query = query({
      prompt: this.inbox,
      options: {
        pathToClaudeCodeExecutable: spec.launch.command,
        cwd: spec.launch.cwd,
        env: spec.launch.env,
        includePartialMessages: true,
        // Claude Code weighs each call against the rules (deny, ask, allow) and puts the rest to us:
        // the turn's gate asks its caller about ask-rule calls and refuses what no rule allows.
        permissionMode: 'default',
        canUseTool: (tool, input, options) =>
          this.listener ? this.listener.canUseTool(tool, input, options) : Promise.resolve({ behavior: 'deny', message: 'No turn is running' }),
        tools: spec.permissions.tools,
        allowedTools: spec.permissions.allow,
        // The caller's own tools (docs/requests.md#client-tools) are theirs to run: allowed, unless an ask or deny rule
        // says otherwise. Given as a setting rather than in allowedTools, where the SDK warns that it bypasses canUseTool.
        settings: { permissions: { allow: [`mcp__${CLIENT_TOOLS_SERVER}`], ask: spec.permissions.ask, deny: spec.permissions.deny } },
        // No settings files: neither the agent HOME's (the pty driver's rules are there) nor the
        // workspace's (the agent can write those). What it may do is spec.permissions alone.
        settingSources: [],
        systemPrompt: { type: 'preset', preset: 'claude_code', append: spec.instructions },
        ...(spec.resume ? { resume: spec.resume.id } : {}),
        spawnClaudeCodeProcess: (o) => this.spawn(o),
      },
    });
  }

  /**
   * Starts the agent and waits for its handshake (the SDK's initialize
   * request answered). Throws AgentStartError when it exits first or does
   * not answer within the start timeout; ConversationNotFoundError when the
   * conversation to resume is gone.
   */
  static async start(spec: AgentProcessSpec, signal: AbortSignal): Promise<AgentProcess> {
    const agent = new AgentProcess(spec, await loadSdk());
    void agent.pump();
    const command = spec.launch.command;
    try {
      const timedOut = `The agent "${command}" did not answer its handshake within ${seconds(spec.startTimeoutMs)}; is it Claude Code?`;
      await untilStarted(agent.query.initializationResult(), signal, spec.startTimeoutMs, timedOut);
      return agent;
    } catch (e) {
      await agent.kill();
      if (e instanceof AgentStartError) throw e;
      const text = `${(e as Error).message}\n${agent.stderrTail()}`;
      if (spec.resume && /No conversation found/i.test(text)) throw new ConversationNotFoundError(`conversation ${spec.resume.id} not found`);
      const said = agent.proc?.lastWords() ?? (e as Error).message;
      const exit = agent.proc ? await agent.exited : undefined;
      const how = exit ? `exited (${exit.signal ?? `code ${exit.code}`})` : 'could not be started';
      throw new AgentStartError(`The agent "${command}" ${how} before it was ready: ${said}`);
    }
  }

  get session(): string {
    return this.spec.session;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  get isAlive(): boolean {
    return this.alive;
  }

  /** The last lines the agent wrote to stderr (diagnostics). */
  stderrTail(): string {
    return this.proc?.stderrTail() ?? '';
  }

  /** Resident memory of the agent process in bytes (bench, health), from /proc. */
  rssBytes(): number | undefined {
    return this.proc?.rssBytes();
  }

  /** Sends one user message; `listener` hears everything until detach(). */
  send(text: string, listener: AgentListener): void {
    this.turns++;
    this.listener = listener;
    if (!this.alive) {
      listener.ended(this.endReason ?? 'the agent is not running');
      return;
    }
    this.inbox.push({ type: 'user', message: { role: 'user', content: text }, parent_tool_use_id: null });
  }

  detach(): void {
    this.listener = undefined;
  }

  /**
   * Gives the agent the caller's tools for the next turn (an in-process MCP
   * server), or takes them away; nothing is sent when they are the ones it has.
   */
  async useClientTools(tools: ClientToolDeclaration[] | undefined): Promise<void> {
    const key = JSON.stringify(tools ?? []);
    if (key === this.clientTools) return;
    const call: ClientToolCall = (name, input, signal) =>
      this.listener ? this.listener.clientTool(name, input, signal) : Promise.resolve(errorResult('No turn is running'));
    const servers: Record<string, McpServerConfig> = tools?.length
      ? { [CLIENT_TOOLS_SERVER]: clientToolsServer(tools, call, this.spec.clientToolTimeoutMs) }
      : {};
    const result = await this.query.setMcpServers(servers);
    const failed = Object.entries(result.errors);
    if (failed.length > 0) throw new Error(`the client tools could not be given to the agent: ${failed.map(([k, v]) => `${k}: ${v}`).join('; ')}`);
    this.clientTools = key;
  }

  /** Claude Code's own interrupt (what Escape does): the current turn ends with an error result, the process stays. */
  async interrupt(): Promise<void> {
    if (!this.alive) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.query.interrupt().catch(() => undefined), new Promise((r) => (timer = setTimeout(r, INTERRUPT_ACK_MS)))]);
    clearTimeout(timer);
  }

  /**
   * Ends the agent and everything it started: its stdin closed, SIGTERM to
   * its process group, SIGKILL after a grace period.
   */
  async kill(): Promise<void> {
    this.inbox.close();
    try {
      this.query.close();
    } catch {
      // already closed
    }
    await this.proc?.kill();
  }

  private spawn(o: SpawnOptions): SpawnedProcess {
    // Our own argument array (the SDK's flags, then PALIADIN_AGENT_ARGS).
    const proc = new AgentChild(o.command, [...o.args, ...this.spec.launch.args], { cwd: o.cwd, env: o.env, watch: this.spec.launch.watch });
    this.proc = proc;
    void proc.exited.then((exit) => {
      this.alive = false;
      this.onExit(exit);
    });
    return proc.child;
  }

  /** Hands every message to the turn listening; when the stream ends, the agent is gone. */
  private async pump(): Promise<void> {
    let reason = 'the agent closed its output';
    try {
      for await (const msg of this.query) {
        if (msg.type === 'system' && msg.subtype === 'init') this.conversationId = msg.session_id;
        this.listener?.message(msg);
      }
    } catch (e) {
      reason = (e as Error).message;
    }
    this.alive = false;
    this.endReason = reason;
    const listener = this.listener;
    this.listener = undefined;
    listener?.ended(reason);
  }
}
