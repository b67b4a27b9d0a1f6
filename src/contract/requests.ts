import { seconds } from './seconds.js';

/**
 * Requests: the agent asks, the caller answers (docs/requests.md). One
 * source for the kinds, who may resolve a request, and the limits of what
 * a caller declares or answers.
 */
export const REQUEST_KINDS = ['permission', 'question', 'client_tool'] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];

/** Who or what resolved a request (`resolved.by`). */
export const RESOLVED_BY = ['user', 'api_key', 'timeout', 'cancel', 'interrupted'] as const;
export type ResolvedBy = (typeof RESOLVED_BY)[number];

/** The options a permission request offers, in the order a page shows them. */
export const PERMISSION_DECISIONS = ['allow_once', 'allow_always', 'deny'] as const;
export type PermissionDecision = (typeof PERMISSION_DECISIONS)[number];

/** Client tools a turn or session may declare (docs/requests.md#client-tools): at most 32, names like an identifier, 64 KB in all. */
export const CLIENT_TOOL_NAME_RE = /^[a-zA-Z0-9_-]{1,64}$/;
export const MAX_CLIENT_TOOLS = 32;
export const MAX_CLIENT_TOOLS_BYTES = 64 * 1024;
/** A client tool's answer: its output as a string or JSON, at most this many bytes (as JSON). */
export const MAX_TOOL_OUTPUT_BYTES = 256 * 1024;

/** A tool the caller declared and runs itself: the agent sees it as one of its tools. */
export interface ClientToolDeclaration {
  name: string;
  description: string;
  /** JSON Schema of the tool's input. */
  input_schema: Record<string, unknown>;
}

/** One of the agent's multiple-choice questions (Claude's AskUserQuestion). */
export interface AgentQuestion {
  question: string;
  header?: string;
  options: { label: string; description?: string }[];
  multi_select: boolean;
}

/** What a request was resolved with, as `resolved.outcome` shows it. */
export type RequestOutcome =
  { decision: PermissionDecision; message?: string } | { answers: Record<string, string[]>; unanswered?: true } | { is_error: boolean };

/** Permission rules a session adds at creation (`permissions`); `allow` only by admins. */
export interface SessionRules {
  ask?: string[];
  deny?: string[];
  allow?: string[];
}

const WHY: Record<ResolvedBy, string> = {
  user: 'The user answered',
  api_key: 'The caller answered',
  timeout: 'Nobody answered in time',
  cancel: 'The turn was cancelled',
  interrupted: 'The server running this turn stopped',
};

/**
 * What a request resolves with when nobody answered it (docs/requests.md): a
 * permission is denied, a question gets "the user did not answer", a
 * client tool an error result; the agent is told why.
 */
export function unanswered(kind: RequestKind, by: ResolvedBy, timeoutMs: number): { by: ResolvedBy; outcome: RequestOutcome; answer: string } {
  const why = by === 'timeout' ? `Nobody answered within ${seconds(timeoutMs)}` : WHY[by];
  switch (kind) {
    case 'permission':
      return { by, outcome: { decision: 'deny', message: `${why}; the tool was not allowed.` }, answer: why };
    case 'question':
      return { by, outcome: { answers: {}, unanswered: true }, answer: `${why}: the user did not answer.` };
    case 'client_tool':
      return { by, outcome: { is_error: true }, answer: `${why}: the tool did not run.` };
  }
}
