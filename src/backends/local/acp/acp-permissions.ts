import type { PermissionOptionKind, RequestPermissionRequest, RequestPermissionResponse } from '@agentclientprotocol/sdk/unstable';
import type { PermissionDecision } from '../../../contract/requests.js';
import type { AgentAsks } from '../../backend.interface.js';
import { grantRuleFor, ruleCovers } from '../stream-json/permission-rules.js';
import { summarise } from '../stream-json/turn-translator.js';
import { toolName } from './acp-translator.js';

/** Which of the agent's options a decision picks, best first (ACP names kinds; the agent names the options). */
const KINDS: Record<PermissionDecision, PermissionOptionKind[]> = {
  allow_once: ['allow_once', 'allow_always'],
  allow_always: ['allow_always', 'allow_once'],
  deny: ['reject_once', 'reject_always'],
};

/**
 * The agent's `session/request_permission` as the turn's caller answers it
 * (docs/requests.md): a `permission` request, unless a rule the caller
 * granted with `allow_always` covers the call already; the decision goes
 * back as the agent's option of the matching kind. Nobody to ask, or the
 * request withdrawn (cancel): refused.
 */
export async function answerPermission(
  request: RequestPermissionRequest,
  ctx: { asks?: AgentAsks; ask: string[]; cwd: string },
  signal: AbortSignal,
): Promise<RequestPermissionResponse> {
  const choose = (decision: PermissionDecision): RequestPermissionResponse => {
    const option = KINDS[decision].map((kind) => request.options.find((o) => o.kind === kind)).find((o) => o !== undefined);
    return option ? { outcome: { outcome: 'selected', optionId: option.optionId } } : { outcome: { outcome: 'cancelled' } };
  };
  if (!ctx.asks || signal.aborted) return choose('deny');
  const call = request.toolCall;
  const tool = toolName(call);
  const input = call.rawInput && typeof call.rawInput === 'object' ? (call.rawInput as Record<string, unknown>) : {};
  if ((await ctx.asks.grants().catch(() => [])).some((rule) => ruleCovers(rule, tool, input, ctx.cwd))) return choose('allow_once');
  const reply = await ctx.asks.ask(
    {
      kind: 'permission',
      tool,
      inputSummary: summarise(input, ctx.cwd) || (call.title ?? '').slice(0, 200),
      input,
      grantRule: grantRuleFor(ctx.ask, tool, input, ctx.cwd),
    },
    signal,
  );
  // A request withdrawn with its prompt (cancel): ACP wants it answered as cancelled.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- aborted while the caller was asked
  if (signal.aborted) return { outcome: { outcome: 'cancelled' } };
  return 'decision' in reply.outcome ? choose(reply.outcome.decision) : choose('deny');
}
