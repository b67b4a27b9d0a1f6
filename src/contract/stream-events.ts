import type { ErrorCode } from './error-codes.js';
import type { AgentQuestion, PermissionDecision, RequestKind, RequestOutcome, ResolvedBy } from './requests.js';

/** The SSE events of a turn (docs/events.md). `ping` is never stored. */
export interface MetaData {
  turn_id: string;
  started_at: string;
}
export interface ThinkingData {
  elapsed_seconds: number;
  since_first: boolean;
  upstream?: true;
  /** The turn waits for another turn of its agent session to finish. */
  queued?: true;
  /** The turn waits for the caller to answer this request (docs/requests.md). */
  waiting_for?: { request_id: string; kind: RequestKind };
}
export type ContentData = { text: string } | { delta: string; streamed: true };
export interface EndData {
  turn_id: string;
  used_tools: string[];
  rows_seen: number[];
  chip_count: number;
  classifier_tag: string;
  duration_ms: number;
  streamed?: true;
  aichat_conversation_id?: string;
  /** Where the driver reports them (local stream-json). */
  usage?: { input_tokens: number; output_tokens: number; cost_usd?: number };
  num_turns?: number;
  /** Why the answer stopped short (`max_tokens`, `max_turn_requests`), where the agent says so (ACP driver). */
  stop_reason?: string;
}
/** The agent uses a tool (local stream-json driver); `end.used_tools` counts these. */
export interface ToolData {
  name: string;
  input_summary: string;
  status: 'started' | 'done' | 'error';
}
/** A piece of the agent's reasoning as it streams (ACP driver); stored, and clients may hide it. */
export interface ThoughtData {
  delta: string;
}
/** The agent's plan, whole, each time it changes (ACP driver). */
export interface PlanData {
  entries: { content: string; status: 'pending' | 'in_progress' | 'completed'; priority: 'high' | 'medium' | 'low' }[];
}
/** The agent wants to use a tool its rules say to ask about (docs/requests.md). */
export interface PermissionData {
  request_id: string;
  tool: string;
  input_summary: string;
  input: Record<string, unknown>;
  options: PermissionDecision[];
  expires_at: string;
}
/** The agent asks the user to choose. */
export interface QuestionData {
  request_id: string;
  questions: AgentQuestion[];
  expires_at: string;
}
/** The agent calls a tool the caller declared and runs itself; `input` has been validated against its schema. */
export interface ClientToolData {
  request_id: string;
  name: string;
  input: unknown;
  expires_at: string;
}
/** A request is over: answered, timed out, cancelled, or its instance died. */
export interface ResolvedData {
  request_id: string;
  kind: RequestKind;
  outcome: RequestOutcome;
  by: ResolvedBy;
  at: string;
}
export interface ErrorData {
  code: ErrorCode;
  message: string;
  retryable?: boolean;
}

export type TurnStreamEvent =
  | { kind: 'meta'; data: MetaData }
  | { kind: 'thinking'; data: ThinkingData }
  | { kind: 'content'; data: ContentData }
  | { kind: 'tool'; data: ToolData }
  | { kind: 'thought'; data: ThoughtData }
  | { kind: 'plan'; data: PlanData }
  | { kind: 'permission'; data: PermissionData }
  | { kind: 'question'; data: QuestionData }
  | { kind: 'client_tool'; data: ClientToolData }
  | { kind: 'resolved'; data: ResolvedData }
  | { kind: 'end'; data: EndData }
  | { kind: 'error'; data: ErrorData };

/** An event as stored in paliadin_turn_events: numbered per turn, the SSE id. */
export type StoredTurnEvent = TurnStreamEvent & { seq: number };

/** `end` and `error` are each a turn's last event. */
export function isTerminal(kind: string): boolean {
  return kind === 'end' || kind === 'error';
}
