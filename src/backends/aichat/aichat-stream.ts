import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { Readable } from 'node:stream';
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
 *
 * `onEvents` gets the events of each network read together, as the read
 * arrives (the stream's `data` events: under a crowd of slow streams, one
 * frame per read, an async iterator's promises per read were a few percent
 * of the gateway's CPU). It returns true once it has what it needs: the
 * connection is then closed, without an error. Resolves when `onEvents`
 * had enough (true) or the stream ended first (false); rejects with the malformed frame's
 * AichatError (after the events before it), or with the stream's own error
 * when the connection breaks.
 */
export function readTurnStream(body: Readable, onEvents: (events: AichatStreamEvent[]) => boolean): Promise<boolean> {
  const reader = new FrameReader();
  return new Promise((resolve, reject) => {
    let over = false;
    const finish = (err?: Error, enough = false) => {
      if (over) return;
      over = true;
      body.off('data', onData);
      if (err === undefined) resolve(enough);
      else reject(err);
    };
    // Hands a read's events on; true when the stream is done with, one way or another.
    const deliver = (events: AichatStreamEvent[], bad: AichatError | undefined): boolean => {
      let enough: boolean;
      try {
        enough = events.length > 0 && onEvents(events);
      } catch (e) {
        body.destroy();
        finish(e instanceof Error ? e : new Error(String(e)));
        return true;
      }
      if (enough) {
        finish(undefined, true);
        closeSoon(body);
        return true;
      }
      if (!bad) return false;
      body.destroy();
      finish(bad);
      return true;
    };
    const onData = (chunk: Buffer) => void deliver(...reader.feed(chunk));
    body.on('data', onData);
    body.once('end', () => {
      if (over) return;
      if (!deliver(...reader.end())) finish();
    });
    // Kept after the first: an error event without a listener would end the process.
    body.on('error', finish);
    body.once('close', () => {
      // Closed without its end and without an error: cut off (a for-await would throw "Premature close" here).
      if (!over) finish(Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
    });
  });
}

/**
 * Closes a response the reader is done with, unless it ends on its own at
 * once: aichat usually ends a turn's response right after `done`, in the
 * same read, and a response destroyed before its end makes Node build a
 * premature-close error nobody reads (under a crowd's turn ends, a few
 * percent of the gateway's CPU). One that stays open past this turn of the
 * loop is closed.
 */
function closeSoon(body: Readable): void {
  body.resume();
  setImmediate(() => {
    if (!body.readableEnded) body.destroy();
  });
}

/** The decoder and parser of one stream; each read gives its events and, once, the malformed frame's error. */
class FrameReader {
  // StringDecoder, not TextDecoder: with `stream: true` the latter took six times as long per read.
  private readonly decoder = new StringDecoder('utf8');
  private started = false;
  private ready: AichatStreamEvent[] = [];
  private bad: AichatError | undefined;
  private readonly parser = createParser({
    onEvent: (msg) => {
      if (this.bad) return;
      try {
        mapFrame(msg, this.ready);
      } catch (e) {
        this.bad = e as AichatError;
      }
    },
  });

  feed(chunk: Buffer): [AichatStreamEvent[], AichatError | undefined] {
    this.parser.feed(this.text(this.decoder.write(chunk)));
    return this.take();
  }

  end(): [AichatStreamEvent[], AichatError | undefined] {
    // One more "\n": a stream ending in CR-only line breaks leaves its last "\r" waiting
    // for a possible "\n"; as CRLF it closes the frame, and it completes nothing else.
    this.parser.feed(`${this.text(this.decoder.end())}\n`);
    return this.take();
  }

  private take(): [AichatStreamEvent[], AichatError | undefined] {
    const out = this.ready;
    this.ready = [];
    return [out, this.bad];
  }

  /** A leading byte order mark is not part of the first line (as TextDecoder would drop it). */
  private text(s: string): string {
    if (this.started || !s) return s;
    this.started = true;
    return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
  }
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
