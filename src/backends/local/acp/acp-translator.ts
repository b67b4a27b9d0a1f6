import type { PromptResponse, SessionUpdate, ToolCall, ToolCallUpdate } from '@agentclientprotocol/sdk/unstable';
import type { BackendEvent, TurnUsage } from '../../backend.interface.js';
import { TrailerGate } from '../stream-json/trailer-gate.js';
import { summarise } from '../stream-json/turn-translator.js';

type Emit = (ev: BackendEvent) => void;

const TITLE_MAX = 200;

/**
 * One turn of an ACP agent, update by update, as backend events
 * (docs/local-drivers.md, "The ACP driver"): message chunks become content
 * deltas (the trailer held back), thought chunks `thought`, tool calls
 * `tool` (started once, then done or error), plans `plan`; the prompt's
 * stop reason ends the turn. What the agent replays of a loaded session
 * (user and agent chunks before the prompt) never reaches a translator: it
 * only exists while a turn runs.
 */
export class AcpTranslator {
  private readonly gate = new TrailerGate();
  private sent = '';
  private readonly tools = new Map<string, { name: string; summary: string; announced: boolean; done: boolean }>();
  /** The session's running cost as the agent last reported it (Claude: usage_update.cost, in USD). */
  private costTotal?: number;

  constructor(
    private readonly workspace: string,
    private readonly emit: Emit,
  ) {}

  /** The session's running cost after this turn, as the agent reported it. */
  get cost(): number | undefined {
    return this.costTotal;
  }

  /** A tool call is under way: the agent may rightly say nothing for a while. */
  get toolRunning(): boolean {
    return [...this.tools.values()].some((t) => !t.done);
  }

  take(update: SessionUpdate): void {
    switch (update.sessionUpdate) {
      case 'agent_message_chunk':
        // Claude's adapter says things of its own in the message stream (a mode's warning); they are not the answer.
        if ((update._meta as { claudeCode?: { kind?: unknown } } | null | undefined)?.claudeCode?.kind === 'informational') return;
        if (update.content.type === 'text') this.chunk(this.gate.push(update.content.text));
        return;
      case 'agent_thought_chunk':
        if (update.content.type === 'text' && update.content.text) this.emit({ type: 'thought', text: update.content.text });
        return;
      case 'tool_call':
      case 'tool_call_update':
        this.tool(update);
        return;
      case 'plan':
        this.emit({ type: 'plan', entries: update.entries.map(({ content, status, priority }) => ({ content, status, priority })) });
        return;
      case 'usage_update':
        // `used` is the context's size, not this turn's tokens; the cost, where given, is the session's running total.
        if (update.cost?.currency === 'USD') this.costTotal = update.cost.amount;
        return;
      default:
        return;
    }
  }

  /**
   * The prompt's answer ends the turn: the rest of the text and `done`, or
   * an error for a refusal or a turn the agent gave up itself (Codex ends
   * its turn `cancelled` when a permission is denied). Tool calls the agent
   * left open are closed as failed. `costBefore`: the session's running cost
   * before this turn, when known.
   */
  finish(response: PromptResponse, costBefore: number | undefined): void {
    const rest = this.gate.end();
    this.chunk(rest.text);
    for (const call of this.tools.values()) {
      if (call.done || !call.announced) continue;
      call.done = true;
      this.emit({ type: 'tool', name: call.name, inputSummary: call.summary, status: 'error' });
    }
    switch (response.stopReason) {
      case 'cancelled':
        this.emit({ type: 'error', code: 'cancelled', message: 'The agent stopped the turn (a permission was denied, or it was interrupted)' });
        return;
      case 'refusal':
        this.emit({ type: 'error', code: 'refused', message: 'The model declined to answer this message' });
        return;
      default: {
        const usage = usageOf(response, this.costTotal !== undefined && costBefore !== undefined ? this.costTotal - costBefore : undefined);
        this.emit({
          type: 'done',
          response: this.sent,
          ...(rest.meta ? { meta: rest.meta } : {}),
          ...(usage ? { usage } : {}),
          ...(response.stopReason !== 'end_turn' ? { stopReason: response.stopReason } : {}),
        });
      }
    }
  }

  private tool(update: ToolCall | ToolCallUpdate): void {
    let call = this.tools.get(update.toolCallId);
    if (!call) {
      call = { name: toolName(update), summary: '', announced: false, done: false };
      this.tools.set(update.toolCallId, call);
    }
    // Agents often fill the input in later updates of the same call (Claude: a pending call with no input
    // first): the call is announced once its input is known, or once it runs.
    const fromInput = summarise(update.rawInput, this.workspace);
    if (fromInput || !call.summary) call.summary = fromInput || this.title(update) || call.summary;
    if (!call.announced && (fromInput || (update.status && update.status !== 'pending'))) {
      call.announced = true;
      this.emit({ type: 'tool', name: call.name, inputSummary: call.summary, status: 'started' });
    }
    if (call.done || (update.status !== 'completed' && update.status !== 'failed')) return;
    call.done = true;
    this.emit({ type: 'tool', name: call.name, inputSummary: call.summary, status: update.status === 'failed' ? 'error' : 'done' });
  }

  /** The title the agent gave the call, paths in the workspace relative to it: what it is about when its input says nothing. */
  private title(update: ToolCall | ToolCallUpdate): string {
    const title = (update.title ?? '')
      .replaceAll(this.workspace + '/', '')
      .replace(/\s+/g, ' ')
      .trim();
    return title.length > TITLE_MAX ? `${title.slice(0, TITLE_MAX - 1)}…` : title;
  }

  private chunk(text: string): void {
    if (!text) return;
    this.sent += text;
    this.emit({ type: 'chunk', text });
  }
}

/** The tool's own name where the agent says it (`name`, or Claude's `_meta.claudeCode.toolName`), else its kind. */
export function toolName(update: ToolCall | ToolCallUpdate): string {
  const meta = update._meta as { claudeCode?: { toolName?: unknown } } | null | undefined;
  const claude = meta?.claudeCode?.toolName;
  if (typeof claude === 'string' && claude) return claude;
  if (update.name) return update.name;
  return update.kind ?? 'tool';
}

/**
 * The turn's tokens where the agent reports them with its answer: ACP's
 * `usage` (Claude), or `_meta.quota.token_count` (Gemini); Codex reports
 * none. Cached input counts as input, as with stream-json.
 */
function usageOf(response: PromptResponse, costUsd: number | undefined): TurnUsage | undefined {
  const cost = costUsd !== undefined ? { costUsd: Math.max(0, Number(costUsd.toFixed(6))) } : {};
  const u = response.usage;
  if (u) return { inputTokens: u.inputTokens + (u.cachedReadTokens ?? 0) + (u.cachedWriteTokens ?? 0), outputTokens: u.outputTokens, ...cost };
  const quota = (response._meta as { quota?: { token_count?: { input_tokens?: unknown; output_tokens?: unknown } } } | null | undefined)?.quota?.token_count;
  if (typeof quota?.input_tokens !== 'number' || typeof quota.output_tokens !== 'number') return undefined;
  return { inputTokens: quota.input_tokens, outputTokens: quota.output_tokens, ...cost };
}
