import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { StringDecoder } from 'node:string_decoder';
import { toRowIds } from '../../contract/answer.js';
import type { BackendEvent, TurnMeta } from '../backend.interface.js';
import { AichatError, codeForEnvelope } from './aichat-errors.js';

/** What a `done` frame adds beyond the backend event: whether aichat just started a new pane. */
export type AichatStreamEvent = BackendEvent | { type: 'pane_spawned' };

/**
 * Reads /chat/turn/stream (docs/aichat.md): bytes through one streaming
 * UTF-8 decoder into eventsource-parser (any line ending, comments, frames
 * split anywhere), each frame mapped to backend events. Unknown frame types
 * are skipped; a frame that is not JSON ends the turn with `upstream_error`.
 * Yields the events of each network read together: a fast upstream's
 * thousands of frames a second then cost one await per read, not per frame.
 */
export async function* readTurnStream(body: AsyncIterable<Uint8Array>): AsyncGenerator<AichatStreamEvent[]> {
  // StringDecoder, not TextDecoder: with `stream: true` the latter took six times as long per read.
  const decoder = new StringDecoder('utf8');
  let started = false;
  // A leading byte order mark is not part of the first line (as TextDecoder would drop it).
  const text = (s: string): string => {
    if (started || !s) return s;
    started = true;
    return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
  };
  let ready: AichatStreamEvent[] = [];
  let bad: AichatError | undefined;
  const parser = createParser({
    onEvent: (msg) => {
      if (bad) return;
      try {
        mapFrame(msg, ready);
      } catch (e) {
        bad = e as AichatError;
      }
    },
  });
  const take = () => {
    const out = ready;
    ready = [];
    return out;
  };
  for await (const chunk of body) {
    parser.feed(text(decoder.write(chunk)));
    if (ready.length > 0) yield take();
    if (bad) throw bad;
  }
  // At the end, one more "\n": a stream ending in CR-only line breaks leaves its last
  // "\r" waiting for a possible "\n"; as CRLF it closes the frame, and it completes nothing else.
  parser.feed(`${text(decoder.end())}\n`);
  if (ready.length > 0) yield take();
  if (bad) throw bad;
}

/** Appends the backend events of one frame to `out` (most frames are one chunk: no array of their own). */
function mapFrame(msg: EventSourceMessage, out: AichatStreamEvent[]): void {
  let data: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(msg.data);
    if (!parsed || typeof parsed !== 'object') throw new Error('not an object');
    data = parsed as Record<string, unknown>;
  } catch {
    throw new AichatError('upstream_error', `aichat sent a malformed ${msg.event ?? 'data'} frame: ${msg.data.slice(0, 80)}`);
  }
  if (msg.event === 'heartbeat') {
    out.push({ type: 'heartbeat', elapsedSeconds: typeof data.elapsed_seconds === 'number' ? data.elapsed_seconds : 0 });
    return;
  }
  if (msg.event && msg.event !== 'message') return;
  switch (data.type) {
    case 'conversation':
      if (typeof data.conversation_id === 'string') out.push({ type: 'conversation', conversationId: data.conversation_id });
      return;
    case 'chunk':
      if (typeof data.content === 'string' && data.content) out.push({ type: 'chunk', text: data.content });
      return;
    case 'meta':
      out.push({ type: 'meta', meta: aichatMeta(data.meta) });
      return;
    case 'done':
      if (typeof data.conversation_id === 'string') out.push({ type: 'conversation', conversationId: data.conversation_id });
      if (data.pane_spawned === true) out.push({ type: 'pane_spawned' });
      out.push({ type: 'done', response: typeof data.response === 'string' ? data.response : '' });
      return;
    case 'error': {
      const e = (data.error ?? {}) as { code?: unknown; message?: unknown; retryable?: unknown };
      const code = typeof e.code === 'string' ? e.code : undefined;
      out.push({
        type: 'error',
        code: codeForEnvelope(code),
        message: `aichat: ${typeof e.message === 'string' && e.message ? e.message : (code ?? 'error')}`,
        ...(typeof e.retryable === 'boolean' ? { retryable: e.retryable } : {}),
      });
      return;
    }
    default:
      return;
  }
}

/** aichat's meta: rows_seen arrive as strings; numeric ones become integers, the rest are dropped. */
export function aichatMeta(v: unknown): Partial<TurnMeta> {
  const m = (v && typeof v === 'object' ? v : {}) as { used_tools?: unknown; rows_seen?: unknown; classifier_tag?: unknown };
  return {
    usedTools: Array.isArray(m.used_tools) ? m.used_tools.filter((t): t is string => typeof t === 'string') : [],
    rowsSeen: toRowIds(m.rows_seen),
    classifierTag: typeof m.classifier_tag === 'string' ? m.classifier_tag : '',
  };
}
