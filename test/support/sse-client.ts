import http from 'node:http';
import { createParser } from 'eventsource-parser';

export interface SseEvent {
  id?: string;
  event: string;
  data: unknown;
}

export interface SseRead {
  status: number;
  headers: http.IncomingHttpHeaders;
  events: SseEvent[];
  /** Raw JSON body of a non-200 answer. */
  body?: unknown;
  /** True when the server ended the response (not cut by us). */
  ended: boolean;
}

export interface SseOptions {
  token?: string;
  lastEventId?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  /** Cut the connection once this many (non-ping) events arrived. */
  stopAfterEvents?: number;
  /** Cut the connection once this many bytes of body arrived (mid-event cuts). */
  stopAfterBytes?: number;
  /** Skip pings in `events`. */
  dropPings?: boolean;
  timeoutMs?: number;
  /** Cuts the connection when aborted; the read resolves with what arrived. */
  signal?: AbortSignal;
  /** Called with every event as it arrives (to act while the stream is open). */
  onEvent?: (ev: SseEvent, all: SseEvent[]) => void;
}

/** Reads an SSE response with a real client: http.get + eventsource-parser, bytes decoded by one streaming TextDecoder. */
export function readSse(baseUrl: string, path: string, opts: SseOptions = {}): Promise<SseRead> {
  const url = new URL(path, baseUrl);
  for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, v);
  const headers: Record<string, string> = { Accept: 'text/event-stream', ...(opts.headers ?? {}) };
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  if (opts.lastEventId !== undefined) headers['Last-Event-ID'] = opts.lastEventId;

  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers }, (res) => {
      const events: SseEvent[] = [];
      let bytes = 0;
      let done = false;
      const finish = (ended: boolean, body?: unknown) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, events, ended, body });
      };
      const timer = setTimeout(() => {
        req.destroy();
        reject(new Error(`SSE read of ${path} timed out with ${events.length} events: ${JSON.stringify(events.slice(-3))}`));
      }, opts.timeoutMs ?? 20_000);
      const cut = () => {
        req.destroy();
        finish(false);
      };
      if (opts.signal?.aborted) cut();
      else opts.signal?.addEventListener('abort', cut, { once: true });
      if (res.statusCode !== 200) {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => finish(true, text ? JSON.parse(text) : undefined));
        return;
      }
      const decoder = new TextDecoder();
      const parser = createParser({
        onEvent: (m) => {
          if (done) return;
          const ev: SseEvent = { id: m.id, event: m.event ?? 'message', data: JSON.parse(m.data) };
          if (opts.dropPings && ev.event === 'ping') return;
          events.push(ev);
          opts.onEvent?.(ev, events);
          if (opts.stopAfterEvents !== undefined && events.filter((e) => e.event !== 'ping').length >= opts.stopAfterEvents) {
            req.destroy();
            finish(false);
          }
        },
      });
      res.on('data', (chunk: Buffer) => {
        if (done) return;
        if (opts.stopAfterBytes !== undefined && bytes + chunk.length >= opts.stopAfterBytes) {
          parser.feed(decoder.decode(chunk.subarray(0, opts.stopAfterBytes - bytes), { stream: true }));
          req.destroy();
          finish(false);
          return;
        }
        bytes += chunk.length;
        parser.feed(decoder.decode(chunk, { stream: true }));
      });
      res.on('end', () => finish(true));
      res.on('error', () => finish(false));
    });
    req.on('error', (e) => (e.message.includes('socket hang up') ? undefined : reject(e)));
  });
}
