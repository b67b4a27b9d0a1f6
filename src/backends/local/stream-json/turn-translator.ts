import path from 'node:path';
import type { SDKMessage, SDKResultMessage } from '@anthropic-ai/claude-agent-sdk';
import type { BackendEvent, TurnUsage } from '../../backend.interface.js';
import { TrailerGate } from './trailer-gate.js';

type Emit = (ev: BackendEvent) => void;

// Text blocks of one turn (before and after a tool call) are paragraphs of one answer.
const BLOCK_SEPARATOR = '\n\n';
const SUMMARY_MAX = 200;
// The input fields that say what a tool call is about, in the order they are shown.
const SUMMARY_KEYS = ['file_path', 'notebook_path', 'pattern', 'path', 'command', 'url', 'query', 'description'];

/**
 * One turn of a stream-json agent, message by message, as backend events:
 * the main agent's text deltas become chunks (the trailer held back), its
 * tool calls `tool` events, and the turn's result `done` (usage, number of
 * model calls) or an error. Subagents' own messages are not the answer and
 * are passed over.
 */
export class TurnTranslator {
  private readonly gate = new TrailerGate();
  private sent = '';
  private sawText = false;
  private newBlock = false;
  private readonly tools = new Map<string, { name: string; summary: string }>();

  constructor(
    private readonly workspace: string,
    private readonly emit: Emit,
  ) {}

  /** A tool call is under way: the agent may rightly say nothing for a while. */
  get toolRunning(): boolean {
    return this.tools.size > 0;
  }

  /** Takes one message; returns the turn's result when this was it. */
  take(msg: SDKMessage): SDKResultMessage | undefined {
    switch (msg.type) {
      case 'stream_event':
        if (msg.parent_tool_use_id === null) this.streamEvent(msg.event);
        return undefined;
      case 'assistant':
        if (msg.parent_tool_use_id !== null) return undefined;
        for (const block of msg.message.content) {
          if (block.type !== 'tool_use') continue;
          const call = { name: block.name, summary: summarise(block.input, this.workspace) };
          this.tools.set(block.id, call);
          this.emit({ type: 'tool', name: call.name, inputSummary: call.summary, status: 'started' });
        }
        return undefined;
      case 'user': {
        const content = msg.parent_tool_use_id === null ? msg.message.content : undefined;
        if (!Array.isArray(content)) return undefined;
        for (const block of content) {
          if (block.type !== 'tool_result') continue;
          const call = this.tools.get(block.tool_use_id);
          if (!call) continue;
          this.tools.delete(block.tool_use_id);
          this.emit({ type: 'tool', name: call.name, inputSummary: call.summary, status: block.is_error ? 'error' : 'done' });
        }
        return undefined;
      }
      case 'result':
        return msg;
      default:
        return undefined;
    }
  }

  /**
   * The turn's end: the rest of the text, then `done`, or the error the
   * agent ended with. `costBefore` is the agent's running cost total before
   * this turn, when known.
   */
  finish(result: SDKResultMessage, costBefore: number | undefined): void {
    if (result.subtype !== 'success' || result.is_error) {
      const said = result.subtype === 'success' ? result.result : [result.subtype, ...result.errors].join(': ');
      this.emit({ type: 'error', code: 'upstream_error', message: `The agent could not answer: ${said.slice(0, 500)}`, retryable: true });
      return;
    }
    const rest = this.gate.end();
    this.chunk(rest.text);
    const u = result.usage;
    const usage: TurnUsage = {
      // All the input the model read, cached or not.
      // The SDK types these as numbers; older CLIs leave them out.
      inputTokens: u.input_tokens + ((u.cache_creation_input_tokens as number | undefined) ?? 0) + ((u.cache_read_input_tokens as number | undefined) ?? 0),
      outputTokens: u.output_tokens,
      ...(costBefore !== undefined ? { costUsd: Math.max(0, Number((result.total_cost_usd - costBefore).toFixed(6))) } : {}),
    };
    this.emit({
      type: 'done',
      // Without any deltas (a Claude Code that did not stream), the final text is the answer, trailer and all.
      response: this.sawText ? this.sent : result.result,
      ...(rest.meta ? { meta: rest.meta } : {}),
      usage,
      numTurns: result.num_turns,
    });
  }

  private streamEvent(event: Extract<SDKMessage, { type: 'stream_event' }>['event']): void {
    if (event.type === 'content_block_start' && event.content_block.type === 'text') this.newBlock = true;
    if (event.type !== 'content_block_delta' || event.delta.type !== 'text_delta') return;
    let text = event.delta.text;
    if (this.newBlock) {
      if (this.sawText) text = BLOCK_SEPARATOR + text;
      this.newBlock = false;
    }
    this.sawText = true;
    this.chunk(this.gate.push(text));
  }

  private chunk(text: string): void {
    if (!text) return;
    this.sent += text;
    this.emit({ type: 'chunk', text });
  }
}

/**
 * What a tool call is about, in a line: its path, pattern, command or URL
 * (never file contents), paths inside the workspace shown relative to it.
 */
export function summarise(input: unknown, workspace: string): string {
  if (!input || typeof input !== 'object') return '';
  const fields = input as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of SUMMARY_KEYS) {
    const v = fields[key];
    if (typeof v !== 'string' || !v) continue;
    const rel = path.isAbsolute(v) ? path.relative(workspace, v) : undefined;
    parts.push(rel !== undefined && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel || '.' : v);
  }
  const line = parts.join(' ').replace(/\s+/g, ' ').trim();
  return line.length > SUMMARY_MAX ? `${line.slice(0, SUMMARY_MAX - 1)}…` : line;
}
