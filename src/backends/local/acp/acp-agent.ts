import { Readable, Writable } from 'node:stream';
import {
  client,
  ndJsonStream,
  PROTOCOL_VERSION,
  RequestError,
  type ClientConnection,
  type InitializeResponse,
  type NewSessionRequest,
  type PromptResponse,
  type RequestPermissionRequest,
  type RequestPermissionResponse,
  type SessionUpdate,
} from '@agentclientprotocol/sdk/unstable';
import { seconds } from '../../../contract/seconds.js';
import { AgentChild, type AgentExit } from '../agent-child.js';
import type { AgentLaunch } from '../agent-launch.js';
import type { StoredConversation } from '../agent-session-store.js';
import type { Conversing } from '../conversation-records.js';
import { AgentStartError, untilStarted } from '../local-agent-host.js';
import type { AgentPermissions } from '../stream-json/agent-permissions.js';
import { OutsideWorkspaceError, WorkspaceFiles } from './workspace-files.js';

// How long an agent whose output ended gets to exit, so that its exit code can be told.
const EXIT_WAIT_MS = 1_000;

export interface AcpAgentSpec {
  /** The agent session it serves (logs, diagnostics). */
  session: string;
  /** What the agent is called in messages and on /health (`codex`, or the command's name). */
  name: string;
  /** Command resolved; `cwd` is the session's workspace. */
  launch: AgentLaunch;
  /** The stored conversation to load, if any. */
  resume?: StoredConversation;
  /** The deployment's and the session's rules (Claude reads them; a grant's rule is made from the ask rules). */
  permissions: AgentPermissions;
  /** Given with `session/new` and `session/load` (an agent's own options, such as Claude's system prompt). */
  sessionMeta?: Record<string, unknown>;
  /** The session mode to set once the session is made, where the agent offers it (Claude: `default`, which asks). */
  mode?: string;
  startTimeoutMs: number;
  /** Only the handshake, no session (a look at what the agent is, for /health). */
  sessionless?: boolean;
  /** A missing file inside the workspace reads as empty (an agent that reads before it writes a new file). */
  missingFileReadsEmpty?: boolean;
}

/** What one turn hears from the agent: its updates, and its permission requests to answer. */
export interface AcpListener {
  update(update: SessionUpdate): void;
  permission(request: RequestPermissionRequest, signal: AbortSignal): Promise<RequestPermissionResponse>;
}

/** The conversation to load is not there any more (another HOME, wiped state): start a new one. */
export class AcpConversationNotFoundError extends AgentStartError {}

/** The agent went away in the middle of a prompt (crashed, killed, closed its output). */
export class AcpAgentGoneError extends Error {
  override readonly name = 'AcpAgentGoneError';
}

/**
 * One long-lived agent process speaking the Agent Client Protocol on its
 * stdio, for one agent session (docs/local-drivers.md, "The ACP driver"):
 * started, initialised, and given its ACP session (a new one, or the stored
 * one loaded) before the first turn; then one `session/prompt` per turn.
 * We are the ACP client: we offer file reads and writes, inside the
 * session's workspace only, and no terminals.
 */
export class AcpAgent implements Conversing {
  /** The agent's ACP session id. */
  sessionId = '';
  /** The session's running cost as the agent last reported it (Claude), to tell a turn's own. */
  cost?: number;
  /** What the agent said of itself and what it can do (initialize). */
  info?: InitializeResponse;
  /** The conversation as this process last knew it stored (loaded, or recorded since). */
  stored?: StoredConversation;
  turns = 0;
  private readonly proc: AgentChild;
  private readonly conn: ClientConnection;
  private readonly files: WorkspaceFiles;
  private listener?: AcpListener;
  /** Why the connection ended, once it has. */
  private goneReason?: string;
  private readonly pendingPermissions = new Set<AbortController>();

  private constructor(readonly spec: AcpAgentSpec) {
    this.stored = spec.resume;
    this.files = new WorkspaceFiles(spec.launch.cwd, { missingReadsEmpty: spec.missingFileReadsEmpty ?? false });
    this.proc = new AgentChild(spec.launch.command, spec.launch.args, { cwd: spec.launch.cwd, env: spec.launch.env, watch: spec.launch.watch });
    const app = client({ name: 'paliadin' })
      .onNotification('session/update', ({ params }) => {
        // Updates of a load's replay, or after a turn was let go, have nobody to hear them.
        if (params.sessionId === this.sessionId) this.listener?.update(params.update);
      })
      .onRequest('session/request_permission', ({ params }) => this.permission(params))
      .onRequest('fs/read_text_file', async ({ params }) => ({ content: await this.fileCall(() => this.files.read(params.path, params.line, params.limit)) }))
      .onRequest('fs/write_text_file', async ({ params }) => {
        await this.fileCall(() => this.files.write(params.path, params.content));
        return {};
      });
    const child = this.proc.child;
    this.conn = app.connect(ndJsonStream(Writable.toWeb(child.stdin), Readable.toWeb(child.stdout) as ReadableStream<Uint8Array>));
    void this.conn.closed.then(
      () => (this.goneReason ??= 'the agent closed its output'),
      (e: unknown) => (this.goneReason ??= (e as Error).message),
    );
    void this.proc.exited.then((exit) => {
      this.goneReason ??= `the agent exited (${describeExit(exit)})`;
      this.conn.close(new AcpAgentGoneError(this.goneReason));
    });
  }

  /**
   * Starts the agent: initialize, then its ACP session (the stored one
   * loaded or resumed where the agent can, else a new one). Throws
   * AgentStartError when it exits first, cannot be run, or does not answer
   * within the start timeout; AcpConversationNotFoundError when the stored
   * conversation is gone.
   */
  static async start(spec: AcpAgentSpec, signal: AbortSignal): Promise<AcpAgent> {
    const agent = new AcpAgent(spec);
    try {
      const handshake = Promise.race([
        agent.handshake(),
        agent.proc.exited.then((exit) => {
          throw new AgentStartError(`The agent "${spec.name}" ${exitedHow(exit, agent.proc)}`);
        }),
      ]);
      const timedOut = `The agent "${spec.name}" did not answer its ACP handshake within ${seconds(spec.startTimeoutMs)}; does it speak ACP?`;
      await untilStarted(handshake, signal, spec.startTimeoutMs, timedOut);
      return agent;
    } catch (e) {
      // Its output ended: it is exiting, and how it exits says more than the closed connection.
      const exit = await agent.exitSoon();
      await agent.kill();
      if (e instanceof AgentStartError) throw e;
      if (exit) throw new AgentStartError(`The agent "${spec.name}" ${exitedHow(exit, agent.proc)}`);
      // An error the agent answered with (a JSON-RPC error), or its output not being JSON-RPC at all.
      const said = e instanceof RequestError ? `${e.message}${e.data ? ` ${JSON.stringify(e.data).slice(0, 300)}` : ''}` : (e as Error).message;
      if (spec.resume && e instanceof RequestError && e.code === -32002) throw new AcpConversationNotFoundError(`conversation ${spec.resume.id} not found`);
      throw new AgentStartError(`The agent "${spec.name}" failed its ACP handshake: ${said}${agent.proc.lastWords() ? ` (${agent.proc.lastWords()})` : ''}`);
    }
  }

  get session(): string {
    return this.spec.session;
  }

  /** The ACP session id is the conversation's: what `session/load` takes. */
  get conversationId(): string | undefined {
    return this.sessionId || undefined;
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  get isAlive(): boolean {
    return this.proc.isAlive && this.goneReason === undefined;
  }

  get exited(): Promise<AgentExit> {
    return this.proc.exited;
  }

  /** `acp:<agent> <version>` as the agent names itself. */
  get version(): string | undefined {
    return this.info?.agentInfo?.version;
  }

  stderrTail(): string {
    return this.proc.stderrTail();
  }

  rssBytes(): number | undefined {
    return this.proc.rssBytes();
  }

  /**
   * One turn: the texts as one prompt; `listener` hears the agent's updates
   * until the prompt is answered. Rejects with AcpAgentGoneError when the
   * agent goes away first.
   */
  async prompt(texts: string[], listener: AcpListener): Promise<PromptResponse> {
    this.turns++;
    this.listener = listener;
    try {
      if (this.goneReason !== undefined) throw new AcpAgentGoneError(this.goneReason);
      const prompt = texts.map((text) => ({ type: 'text' as const, text }));
      return await this.conn.agent.request('session/prompt', { sessionId: this.sessionId, prompt });
    } catch (e) {
      if (this.isAlive) throw e;
      const exit = await this.exitSoon();
      throw new AcpAgentGoneError(exit ? `the agent exited (${describeExit(exit)})` : (this.goneReason ?? (e as Error).message));
    } finally {
      this.listener = undefined;
    }
  }

  /** How the process exited, if it does within a moment (an agent whose output just ended); undefined if it lives on. */
  private async exitSoon(): Promise<AgentExit | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([this.proc.exited, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), EXIT_WAIT_MS)))]);
    clearTimeout(timer);
    return exit;
  }

  /** Asks the agent to stop the prompt under way (it answers it with `cancelled`); permission requests open are withdrawn. */
  cancel(): void {
    for (const c of this.pendingPermissions) c.abort();
    if (this.isAlive) this.conn.agent.notify('session/cancel', { sessionId: this.sessionId }).catch(() => undefined);
  }

  /** Ends the agent and everything it started. */
  async kill(): Promise<void> {
    this.goneReason ??= 'the agent was stopped';
    this.conn.close(new AcpAgentGoneError(this.goneReason));
    await this.proc.kill();
  }

  private async handshake(): Promise<void> {
    const { spec } = this;
    this.info = await this.conn.agent.request('initialize', {
      protocolVersion: PROTOCOL_VERSION,
      // Files inside the workspace through us; no terminals: the agent runs its commands itself, or not at all.
      clientCapabilities: { fs: { readTextFile: true, writeTextFile: true }, terminal: false },
      clientInfo: { name: 'paliadin', version: '1' },
    });
    if (spec.sessionless) return;
    const caps = this.info.agentCapabilities;
    const base: NewSessionRequest = { cwd: spec.launch.cwd, mcpServers: [], ...(spec.sessionMeta ? { _meta: spec.sessionMeta } : {}) };
    let modes: { availableModes: { id: string }[] } | null | undefined;
    const resume = spec.resume;
    if (resume && (caps?.sessionCapabilities?.resume || caps?.loadSession)) {
      try {
        // Resume: no replay of what was said. Load: the agent replays it as updates, to nobody (no turn listens yet).
        const method = caps.sessionCapabilities?.resume ? 'session/resume' : 'session/load';
        modes = (await this.conn.agent.request(method, { ...base, sessionId: resume.id })).modes;
      } catch (e) {
        // Gone, or the agent cannot load it (for whatever reason it gives): a new conversation, rather than no turn.
        if (e instanceof RequestError) throw new AcpConversationNotFoundError(`conversation ${resume.id} could not be loaded: ${e.message}`);
        throw e;
      }
      this.sessionId = resume.id;
    } else {
      const created = await this.conn.agent.request('session/new', base);
      modes = created.modes;
      this.sessionId = created.sessionId;
      // An agent that cannot load: the conversation starts over, and what was stored no longer applies.
      this.stored = undefined;
    }
    if (spec.mode && modes?.availableModes.some((m) => m.id === spec.mode))
      await this.conn.agent.request('session/set_mode', { sessionId: this.sessionId, modeId: spec.mode });
  }

  private async permission(params: RequestPermissionRequest): Promise<RequestPermissionResponse> {
    const listener = this.listener;
    if (!listener || params.sessionId !== this.sessionId) return { outcome: { outcome: 'cancelled' } };
    const withdrawn = new AbortController();
    this.pendingPermissions.add(withdrawn);
    try {
      return await listener.permission(params, withdrawn.signal);
    } finally {
      this.pendingPermissions.delete(withdrawn);
    }
  }

  /** A file call's refusal goes back to the agent as an error it can read; other failures as they are. */
  private async fileCall<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (e) {
      if (e instanceof OutsideWorkspaceError) throw RequestError.invalidParams(undefined, e.message);
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ENOENT') throw RequestError.resourceNotFound(err.path);
      throw RequestError.internalError(undefined, err.message);
    }
  }
}

function describeExit(exit: AgentExit): string {
  return exit.signal ?? `code ${exit.code}`;
}

/** How a start failed when the process ended first: could not run at all, or exited saying why. */
function exitedHow(exit: AgentExit, proc: AgentChild): string {
  const said = proc.lastWords();
  if (exit.code === null && exit.signal === null) return `could not be started: ${said ?? 'unknown error'}`;
  return `exited (${describeExit(exit)}) before it was ready${said ? `: ${said}` : ''}`;
}
