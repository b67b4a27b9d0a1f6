import type { Observable } from 'rxjs';
import type { ErrorCode } from '../contract/error-codes.js';
import type { AgentQuestion, ClientToolDeclaration, RequestOutcome, ResolvedBy, SessionRules } from '../contract/requests.js';

/** The answer's metadata, parsed from the trailer or sent by the upstream. */
export interface TurnMeta {
  usedTools: string[];
  rowsSeen: number[];
  classifierTag: string;
}

/** One turn as a backend sees it. */
export interface BackendTurnRequest {
  turnId: string;
  userId: string;
  email: string;
  /** `<prefix>-<tag>`, or `<prefix>-<tag>-<name>` for a named session; already validated (src/contract/agent-session.ts). */
  agentSession: string;
  /** The agent's working directory, when its session names one (an absolute path under PALIADIN_WORKSPACES_DIR, which exists). */
  workspace?: string;
  sessionId: string;
  message: string;
  pageOrigin?: string;
  context?: Record<string, string>;
  /**
   * Up to `limit` earlier answered exchanges of this browser session, oldest
   * first (a backend whose agent may have forgotten them sends them along).
   * May reject when the database cannot be read.
   */
  earlierExchanges?: (limit: number) => Promise<{ user: string; assistant: string }[]>;
  /** How the driver asks the turn's caller (docs/requests.md); present when the run can take requests. */
  asks?: AgentAsks;
  /** Tools the caller declared and runs itself (the session's, then the turn's): offered to the agent. */
  clientTools?: ClientToolDeclaration[];
  /** Permission rules the turn's session added at its creation, beside the deployment's. */
  rules?: SessionRules;
  /**
   * Records that the turn goes to the agent or upstream now: a backend calls
   * it (through `handOver()` below) right before it types, sends or posts the
   * message. A turn whose instance dies before that is run by another
   * instance; after it, it may have reached the agent, so it ends
   * `interrupted` and its answer is looked for late (docs/event-log.md).
   * Rejects when it could not be recorded, or the turn is not this
   * instance's any more: the run has ended it then.
   */
  handOver?: () => Promise<void>;
}

/** Hands the turn over (see BackendTurnRequest.handOver); false when it must not be sent: its run has ended it already. */
export async function handOver(req: BackendTurnRequest): Promise<boolean> {
  try {
    await req.handOver?.();
    return true;
  } catch {
    return false;
  }
}

/** What a driver asks the turn's caller; the request is stored and shown before anyone answers it. */
export type AgentAsk =
  /** `grantRule`: the permission rule an `allow_always` answer grants for the rest of the agent session. */
  | { kind: 'permission'; tool: string; inputSummary: string; input: Record<string, unknown>; grantRule: string }
  | { kind: 'question'; questions: AgentQuestion[] }
  | { kind: 'client_tool'; name: string; input: unknown };

/**
 * How a request ended. `outcome` is what `resolved` shows (a permission's
 * decision, a question's answers, a tool result's is_error); `answer` is
 * what the caller posted beyond it (a client tool's output), or, when nobody
 * did (timeout, cancel), a line saying so.
 */
export interface AgentReply {
  by: ResolvedBy;
  outcome: RequestOutcome;
  answer?: unknown;
}

/**
 * The port through which a driver asks the turn's caller and waits: the
 * turn's run implements it (durable, any instance may answer, with a
 * deadline); the driver never learns how.
 */
export interface AgentAsks {
  /**
   * Resolves once the request is resolved: answered, timed out, or ended
   * with the turn (cancel, shutdown). Never rejects: a request that could
   * not be made resolves as refused. `signal`: the agent stopped waiting.
   */
  ask(ask: AgentAsk, signal: AbortSignal): Promise<AgentReply>;
  /** The rules granted with `allow_always` for the rest of the agent session, as stored now. */
  grants(): Promise<string[]>;
}

/** An agent's terminal as it is now (docs/sessions.md#the-terminal). */
export interface TerminalScreen {
  cols: number;
  rows: number;
  /** One string per row, trailing blanks trimmed. */
  lines: string[];
  cursor: { x: number; y: number };
}

/** What the model consumed for a turn, where the driver reports it. */
export interface TurnUsage {
  inputTokens: number;
  outputTokens: number;
  costUsd?: number;
}

/** One step of the agent's plan (ACP driver), as the agent says it. */
export interface PlanStep {
  content: string;
  status: 'pending' | 'in_progress' | 'completed';
  priority: 'high' | 'medium' | 'low';
}

/**
 * What a backend emits while a turn runs. Streaming backends send `chunk`s
 * then `done`; a one-shot backend sends only `done` with the whole answer.
 * `tool`: the agent uses a tool (started, then done or error); its name
 * counts towards the turn's used_tools. `thought`: the agent's reasoning as
 * it streams; `plan`: its plan, whole each time it changes (ACP driver).
 * `done.stopReason`: why an answer stopped short (`max_tokens`), where the
 * agent says so.
 */
export type BackendEvent =
  | { type: 'chunk'; text: string }
  | { type: 'heartbeat'; elapsedSeconds: number }
  | { type: 'meta'; meta: Partial<TurnMeta> }
  | { type: 'conversation'; conversationId: string }
  | { type: 'tool'; name: string; inputSummary: string; status: 'started' | 'done' | 'error' }
  | { type: 'thought'; text: string }
  | { type: 'plan'; entries: PlanStep[] }
  | { type: 'done'; response: string; durationMs?: number; meta?: Partial<TurnMeta>; usage?: TurnUsage; numTurns?: number; stopReason?: string }
  | { type: 'error'; code: ErrorCode; message: string; retryable?: boolean };

export interface BackendHealth {
  status: 'up' | 'down' | 'disabled';
  detail?: string;
}

/** A turn that ended without an answer, as the janitor and /recover ask about it. */
export interface UnansweredTurn extends Pick<BackendTurnRequest, 'turnId' | 'userId' | 'email' | 'agentSession' | 'sessionId' | 'message'> {
  startedAt: Date;
  errorCode: ErrorCode | null;
  aichatConversationId: string | null;
}

/** found: the answer arrived after all. none: not (yet). unreachable: cannot tell now, so never give up on it. */
export type LateAnswer = { status: 'found'; response: string; meta?: Partial<TurnMeta> } | { status: 'none' } | { status: 'unreachable'; detail: string };

/** How a backend delivers answers that come after their turn ended (docs/agent-protocol.md#late-answers, docs/aichat.md#recovery). */
export interface LateAnswers {
  /**
   * The error codes of turns whose answer may still come. A backend makes
   * this list enough on its own by classifying each failure where it
   * happens: whenever the upstream may have received the turn and no
   * definitive refusal came back (a connection broken after the request went
   * out, a stall, a timeout), it ends the turn with one of these codes; a
   * definitive refusal (never sent, refused, unauthorised) with another.
   */
  codes: readonly ErrorCode[];
  /** How long after a turn ended its answer is still looked for. */
  windowMs: number;
  find(turn: UnansweredTurn): Promise<LateAnswer>;
}

/**
 * The strategy every backend implements; nothing outside backends/ knows
 * which one runs. Unsubscribing from runTurn cancels the backend's work.
 */
export interface PaliadinBackend {
  readonly kind: string;
  /** How the backend drives its agent, where it has a choice (local: pty); shown on sessions. */
  readonly driver?: string;
  /**
   * The agents live in this instance's own processes (local): stopping one
   * must reach whichever instance holds it, not only the one asked.
   */
  readonly agentsPerInstance?: boolean;
  /**
   * A turn can run only on the instance that accepted it (pty: the agent and
   * its conversation live in that instance's pane, with no resume). One whose
   * instance died before handing it over then ends `interrupted`, never
   * started, instead of being run by another instance.
   */
  readonly pinnedTurns?: boolean;
  /**
   * The agent's terminal, for backends that have one (local pty, remote):
   * undefined when the session has no live terminal here. Backends without
   * a terminal leave this out.
   */
  screen?(agentSession: string): Promise<TerminalScreen | undefined>;
  /** How often a watched screen may be read (a remote one costs an SSH round trip); default 100 ms. */
  readonly screenPollMs?: number;
  /** How many agent processes this instance runs now (local backend; metrics). */
  agentProcesses?(): number;
  /**
   * The driver turns its agent's permission prompts (and questions) into
   * requests (stream-json, ACP). Others keep their agents' own ways.
   */
  readonly offersRequests?: boolean;
  /** The driver offers the caller's own tools to its agent (stream-json); a turn declaring them elsewhere is a 400. */
  readonly offersClientTools?: boolean;
  /** The driver applies a session's permission rules (stream-json, ACP with Claude); given elsewhere they are a 400. */
  readonly takesRules?: boolean;
  /** `oneshot` turns get the one-shot ceiling; `streaming` ones the silence watch and deadline. */
  readonly mode: 'oneshot' | 'streaming';
  runTurn(req: BackendTurnRequest): Observable<BackendEvent>;
  /** Ends the user's agent session; the next turn starts a fresh one. */
  reset(user: { userId: string; email: string; agentSession: string }): Promise<void>;
  health(): Promise<BackendHealth>;
  /** Present when answers can arrive after the turn ended; the janitor and /recover use it. */
  readonly lateAnswers?: LateAnswers;
  /** Housekeeping the janitor runs on each pass (old answer files). */
  sweep?(): Promise<void>;
}

/** The injection token bound to the configured strategy. */
export const PALIADIN_BACKEND = Symbol('PALIADIN_BACKEND');
