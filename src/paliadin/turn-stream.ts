import { Inject, Injectable, Logger, type MessageEvent } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { Observable } from 'rxjs';
import { AppConfig } from '../config/app-config.js';
import { TurnFeeds } from './turn-feeds.js';

/** The keep-alive frame. It must carry no id, so it is written to the socket directly (see below). */
export const PING_FRAME = 'event: ping\ndata: {}\n\n';
const RECONNECT_MS = 1000;

/**
 * A turn as SSE: stored events (SSE id = seq) after `afterSeq`, then the live
 * tail, and an unstored, id-less `ping` every PALIADIN_PING_INTERVAL_MS so
 * proxies keep the connection. Ends after the terminal event. Unsubscribing
 * (the client left) only stops reading: the turn itself runs on.
 */
@Injectable()
export class TurnStream {
  private readonly logger = new Logger(TurnStream.name);

  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    private readonly feeds: TurnFeeds,
  ) {}

  open(turnId: string, afterSeq: number, res: ServerResponse): Observable<MessageEvent> {
    return new Observable<MessageEvent>((sub) => {
      // Nest numbers every id-less event it is given, which would move the
      // client's Last-Event-ID; so pings bypass it. Each SSE frame is one
      // write to the response, so a ping can never land inside another frame.
      const ping = setInterval(() => {
        if (res.headersSent && !res.writableEnded) res.write(PING_FRAME);
      }, this.config.env.PALIADIN_PING_INTERVAL_MS);
      let lastSeq = afterSeq;
      const events = this.feeds.watch(turnId, afterSeq).subscribe({
        next: (ev) => {
          lastSeq = ev.seq;
          // `retry` on the first event: browsers reconnect after 1 s rather than their default 3 to 5.
          sub.next({ id: String(ev.seq), type: ev.kind, data: ev.data as object, ...(ev.seq === 1 ? { retry: RECONNECT_MS } : {}) });
        },
        error: (err: unknown) => {
          // Never the raw exception: a coded error; the client resumes with Last-Event-ID.
          this.logger.error({ err, turnId }, 'turn stream failed');
          // Its id repeats the last one delivered, so Last-Event-ID still points at real data.
          sub.next({ id: String(lastSeq), type: 'error', data: { code: 'upstream_error', message: 'The event stream failed; reconnect to resume', retryable: true } });
          sub.complete();
        },
        complete: () => sub.complete(),
      });
      return () => {
        clearInterval(ping);
        events.unsubscribe();
      };
    });
  }
}
