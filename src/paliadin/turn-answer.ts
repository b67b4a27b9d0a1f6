import type { TurnMeta, TurnUsage } from '../backends/backend.interface.js';
import { mergeMeta, parseAnswer } from '../contract/answer.js';
import type { TurnStreamEvent } from '../contract/stream-events.js';
import type { TurnCompletion } from './turn-finishes.js';

export interface AnsweredTurn {
  turnId: string;
  /** The answer as the agent gave it, trailer included. */
  raw: string;
  /** Meta the upstream sent besides the trailer; it wins where it says something. */
  meta?: Partial<TurnMeta>;
  durationMs: number;
  /** The content went out as deltas already: only `end` closes the stream. */
  streamed: boolean;
  aichatConversationId?: string;
  /** Tools the agent was seen using (tool events): added to the answer's used_tools. */
  toolsSeen?: string[];
  /** What the model consumed, where the driver reports it. */
  usage?: TurnUsage;
  numTurns?: number;
  stopReason?: string;
}

/**
 * The closing events and the row of an answered turn, the same whether the
 * answer came in time (TurnRun) or late (recovery): trailer stripped, chips
 * counted, tokens estimated.
 */
export function answeredTurn(a: AnsweredTurn): { events: TurnStreamEvent[]; completion: TurnCompletion } {
  const answer = parseAnswer(a.raw);
  const merged = mergeMeta(answer.meta, a.meta);
  const meta = a.toolsSeen?.length ? { ...merged, usedTools: [...new Set([...merged.usedTools, ...a.toolsSeen])] } : merged;
  const end: TurnStreamEvent = {
    kind: 'end',
    data: {
      turn_id: a.turnId,
      used_tools: meta.usedTools,
      rows_seen: meta.rowsSeen,
      chip_count: answer.chipCount,
      classifier_tag: meta.classifierTag,
      duration_ms: a.durationMs,
      ...(a.streamed ? { streamed: true as const } : {}),
      ...(a.aichatConversationId ? { aichat_conversation_id: a.aichatConversationId } : {}),
      ...(a.usage
        ? {
            usage: {
              input_tokens: a.usage.inputTokens,
              output_tokens: a.usage.outputTokens,
              ...(a.usage.costUsd !== undefined ? { cost_usd: a.usage.costUsd } : {}),
            },
          }
        : {}),
      ...(a.numTurns !== undefined ? { num_turns: a.numTurns } : {}),
      ...(a.stopReason ? { stop_reason: a.stopReason } : {}),
    },
  };
  return {
    events: a.streamed ? [end] : [{ kind: 'content', data: { text: answer.text } }, end],
    completion: {
      response: answer.text,
      errorCode: null,
      durationMs: a.durationMs,
      tokens: answer.tokens,
      usedTools: meta.usedTools,
      rowsSeen: meta.rowsSeen,
      chipCount: answer.chipCount,
      classifierTag: meta.classifierTag,
      aichatConversationId: a.aichatConversationId,
    },
  };
}
