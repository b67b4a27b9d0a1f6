import {
  MAX_TOOL_OUTPUT_BYTES,
  PERMISSION_DECISIONS,
  type AgentQuestion,
  type PermissionDecision,
  type RequestKind,
  type RequestOutcome,
} from '../contract/requests.js';

/** An answer as posted: the fields of each kind (docs/requests.md#answering). */
export interface PostedAnswer {
  decision?: string;
  message?: string;
  answers?: Record<string, unknown>;
  output?: unknown;
  is_error?: boolean;
}

/** What an answer resolves its request with: the outcome shown, and what goes to the agent beyond it. */
export interface ParsedAnswer {
  outcome: RequestOutcome;
  answer?: unknown;
}

const MESSAGE_MAX = 4_000;
const FIELDS: Record<RequestKind, (keyof PostedAnswer)[]> = {
  permission: ['decision', 'message'],
  question: ['answers'],
  client_tool: ['output', 'is_error'],
};

/**
 * Checks an answer against its request (the kind, the options offered) and
 * gives what it resolves the request with, or a message naming the field
 * at fault (the 400).
 */
export function parseAnswer(kind: RequestKind, data: Record<string, unknown>, posted: PostedAnswer): ParsedAnswer | { problem: string } {
  const stray = (Object.keys(posted) as (keyof PostedAnswer)[]).find((k) => posted[k] !== undefined && !FIELDS[kind].includes(k));
  if (stray) return { problem: `${stray} does not belong in the answer to a ${kind} request (it takes ${FIELDS[kind].join(' and ')})` };
  switch (kind) {
    case 'permission':
      return permission(posted);
    case 'question':
      return question(data.questions as AgentQuestion[], posted.answers);
    case 'client_tool':
      return clientTool(posted);
  }
}

function permission(posted: PostedAnswer): ParsedAnswer | { problem: string } {
  if (!(PERMISSION_DECISIONS as readonly string[]).includes(posted.decision ?? ''))
    return { problem: `decision must be one of ${PERMISSION_DECISIONS.join(', ')}` };
  if (posted.message !== undefined && (typeof posted.message !== 'string' || posted.message.length > MESSAGE_MAX))
    return { problem: `message must be a string of at most ${MESSAGE_MAX} characters` };
  const message = posted.message?.trim();
  return { outcome: { decision: posted.decision as PermissionDecision, ...(message ? { message } : {}) } };
}

function question(questions: AgentQuestion[], answers: Record<string, unknown> | undefined): ParsedAnswer | { problem: string } {
  if (!answers || typeof answers !== 'object' || Array.isArray(answers))
    return { problem: 'answers must be an object: {"<question>": "<label>" or ["<label>", ...]}' };
  const asked = new Map(questions.map((q) => [q.question, q]));
  const unknown = Object.keys(answers).find((k) => !asked.has(k));
  if (unknown !== undefined) return { problem: `answers[${JSON.stringify(unknown)}] is not one of the questions asked` };
  const out: Record<string, string[]> = {};
  for (const q of questions) {
    const field = `answers[${JSON.stringify(q.question)}]`;
    const given = answers[q.question];
    if (given === undefined) return { problem: `${field} is missing: every question needs an answer` };
    const labels = typeof given === 'string' ? [given] : given;
    if (!Array.isArray(labels) || labels.length === 0 || labels.some((l) => typeof l !== 'string'))
      return { problem: `${field} must be a label, or a non-empty array of labels` };
    const offered = new Set(q.options.map((o) => o.label));
    const wrong = (labels as string[]).find((l) => !offered.has(l));
    if (wrong !== undefined)
      return { problem: `${field}: ${JSON.stringify(wrong)} is not one of its options (${[...offered].map((o) => JSON.stringify(o)).join(', ')})` };
    if (new Set(labels).size !== labels.length) return { problem: `${field} names an option twice` };
    if (!q.multi_select && labels.length > 1) return { problem: `${field} takes one label: the question is not multi-select` };
    out[q.question] = labels as string[];
  }
  return { outcome: { answers: out } };
}

function clientTool(posted: PostedAnswer): ParsedAnswer | { problem: string } {
  if (posted.output === undefined) return { problem: 'output is required: the tool result, a string or JSON' };
  if (posted.is_error !== undefined && typeof posted.is_error !== 'boolean') return { problem: 'is_error must be a boolean' };
  if (Buffer.byteLength(JSON.stringify(posted.output)) > MAX_TOOL_OUTPUT_BYTES) return { problem: `output must be at most ${MAX_TOOL_OUTPUT_BYTES / 1024} KB` };
  return { outcome: { is_error: posted.is_error === true }, answer: posted.output };
}
