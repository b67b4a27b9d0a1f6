import type { CanUseTool, PermissionResult } from '@anthropic-ai/claude-agent-sdk';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { AgentQuestion } from '../../../contract/requests.js';
import type { AgentAsks } from '../../backend.interface.js';
import type { AgentPermissions } from './agent-permissions.js';
import { CLIENT_TOOLS_SERVER, errorResult } from './client-tools-server.js';
import { grantRuleFor, ruleCovers } from './permission-rules.js';
import { summarise } from './turn-translator.js';

/** One turn's side of the agent's questions to us: who is asked, under which rules, in which directory. */
export interface GateContext {
  /** The turn's caller; absent when nobody can be asked (every ask is then refused). */
  asks?: AgentAsks;
  permissions: AgentPermissions;
  cwd: string;
}

const QUESTION_TOOL = 'AskUserQuestion';
const CLIENT_PREFIX = `mcp__${CLIENT_TOOLS_SERVER}__`;

/**
 * What Claude Code hears when it asks us about a tool call (its permission
 * callback), per docs/requests.md: Claude's multiple-choice questions become
 * `question` requests; a call an ask rule covers becomes a `permission`
 * request unless the caller granted its rule for the session already;
 * anything else (a call no rule allows) is refused, without asking, as
 * before requests existed. (The caller's own tools are allowed by a rule.)
 */
export function toolGate(ctx: GateContext): CanUseTool {
  return async (tool, input, options) => {
    if (tool === QUESTION_TOOL) return question(ctx, input, options.signal);
    // Claude Code says why it asks: `rule` when an ask rule covers the call (the control protocol's decision_reason_type;
    // matched_ask_rule when the tool's own reason was kept instead). The SDK passes both on; only the latter is typed.
    const reason = (options as { decisionReasonType?: string }).decisionReasonType;
    if (reason === 'rule' || options.matchedAskRule) return permission(ctx, tool, input, options.signal);
    return { behavior: 'deny', message: `Permission to use ${tool} has been denied: no rule of this session allows it, and it is not one to ask about.` };
  };
}

async function permission(ctx: GateContext, tool: string, input: Record<string, unknown>, signal: AbortSignal): Promise<PermissionResult> {
  if (!ctx.asks) return { behavior: 'deny', message: `Permission to use ${tool} needs a person's yes, and nobody can be asked here.` };
  // A grant never reaches past the deployment's tools (a rule stored before they were cut down stays unused).
  const offered = ctx.permissions.tools.includes(tool) || tool.startsWith(CLIENT_PREFIX);
  if (offered && (await ctx.asks.grants().catch(() => [])).some((rule) => ruleCovers(rule, tool, input, ctx.cwd))) {
    return { behavior: 'allow', updatedInput: input };
  }
  const reply = await ctx.asks.ask(
    { kind: 'permission', tool, inputSummary: summarise(input, ctx.cwd), input, grantRule: grantRuleFor(ctx.permissions.ask, tool, input, ctx.cwd) },
    signal,
  );
  const outcome = reply.outcome;
  if ('decision' in outcome && outcome.decision !== 'deny') return { behavior: 'allow', updatedInput: input };
  const message = 'decision' in outcome ? outcome.message : undefined;
  return { behavior: 'deny', message: message ?? 'The user did not allow this tool call.' };
}

interface AskedQuestion {
  question?: unknown;
  header?: unknown;
  options?: { label?: unknown; description?: unknown }[];
  multiSelect?: unknown;
}

/** Claude's AskUserQuestion: answered with the chosen labels (several joined by ", ", as Claude Code does). */
async function question(ctx: GateContext, input: Record<string, unknown>, signal: AbortSignal): Promise<PermissionResult> {
  if (!ctx.asks) return { behavior: 'deny', message: 'Nobody can be asked here; go on with your best judgment.' };
  const asked = Array.isArray(input.questions) ? (input.questions as AskedQuestion[]) : [];
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  const questions: AgentQuestion[] = asked.map((q) => ({
    question: text(q.question),
    ...(typeof q.header === 'string' ? { header: q.header } : {}),
    options: (q.options ?? []).map((o) => ({ label: text(o.label), ...(typeof o.description === 'string' ? { description: o.description } : {}) })),
    multi_select: q.multiSelect === true,
  }));
  const reply = await ctx.asks.ask({ kind: 'question', questions }, signal);
  const outcome = reply.outcome;
  if (!('answers' in outcome) || outcome.unanswered)
    return { behavior: 'deny', message: typeof reply.answer === 'string' ? reply.answer : 'The user did not answer.' };
  const answers = Object.fromEntries(Object.entries(outcome.answers).map(([q, labels]) => [q, labels.join(', ')]));
  return { behavior: 'allow', updatedInput: { ...input, answers } };
}

/** A client tool's call, its input already checked against its schema: the caller runs it and answers with its output. */
export async function callClientTool(asks: AgentAsks | undefined, name: string, input: Record<string, unknown>, signal: AbortSignal): Promise<CallToolResult> {
  if (!asks) return errorResult('Nobody can run this tool here.');
  const reply = await asks.ask({ kind: 'client_tool', name, input }, signal);
  const output = reply.answer;
  const text = typeof output === 'string' ? output : JSON.stringify(output ?? null);
  const isError = 'is_error' in reply.outcome ? reply.outcome.is_error : true;
  return { isError, content: [{ type: 'text', text }] };
}
