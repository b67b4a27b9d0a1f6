import { Inject, Injectable, Logger, type MessageEvent } from '@nestjs/common';
import { Observable } from 'rxjs';
import { AppConfig } from '../config/app-config.js';
import { TurnFeeds } from './turn-feeds.js';

/**
 * A turn as SSE: stored events (SSE id = seq) after `afterSeq`, then the live
 * tail, with an unstored, id-less `ping` to keep proxies from closing the
 * connection. Ends after the terminal event. Unsubscribing (the client left)
 * only stops reading: the turn itself runs on.
 */
@Injectable()
export class TurnStream {
  private readonly logger = new Logger(TurnStream.name);

  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    private readonly feeds: TurnFeeds,
  ) {}

  open(turnId: string, afterSeq: number): Observable<MessageEvent> {
    return new Observable<MessageEvent>((sub) => {
      const ping = setInterval(() => sub.next({ type: 'ping', data: {} }), this.config.env.PALIADIN_PING_INTERVAL_MS);
      const events = this.feeds.watch(turnId, afterSeq).subscribe({
        next: (ev) => sub.next({ id: String(ev.seq), type: ev.kind, data: ev.data as object }),
        error: (err: unknown) => {
          // Never the raw exception: a coded, id-less error; the client resumes with Last-Event-ID.
          this.logger.error({ err, turnId }, 'turn stream failed');
          sub.next({ type: 'error', data: { code: 'upstream_error', message: 'The event stream failed; reconnect to resume', retryable: true } });
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
