import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { AppConfig } from '../config/app-config.js';
import { SseWriter } from '../http/sse-writer.js';
import { TurnFeeds } from './turn-feeds.js';

// `retry` on the first event: browsers reconnect after 1 s rather than their default 3 to 5.
const RECONNECT_MS = 1000;

/**
 * A turn as SSE: stored events (SSE id = seq) after `afterSeq`, then the live
 * tail, and an unstored, id-less `ping` every PALIADIN_PING_INTERVAL_MS so
 * proxies keep the connection. Ends after the terminal event. The client
 * leaving only stops the reading: the turn itself runs on.
 */
@Injectable()
export class TurnStream {
  private readonly logger = new Logger(TurnStream.name);

  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    private readonly feeds: TurnFeeds,
  ) {}

  open(turnId: string, afterSeq: number, res: ServerResponse): void {
    const out = new SseWriter(res, this.config.env.PALIADIN_PING_INTERVAL_MS);
    let lastSeq = afterSeq;
    const events = this.feeds.watch(turnId, afterSeq).subscribe({
      next: (run) => {
        for (const ev of run) out.event(ev.seq, ev.kind, ev.data, ev.seq === 1 ? RECONNECT_MS : undefined);
        lastSeq = run[run.length - 1].seq;
      },
      error: (err: unknown) => {
        // Never the raw exception: a coded error whose id repeats the last one delivered,
        // so the client's Last-Event-ID still points at real data and it resumes from there.
        this.logger.error({ err, turnId }, 'turn stream failed');
        out.event(lastSeq, 'error', { code: 'upstream_error', message: 'The event stream failed; reconnect to resume', retryable: true });
        out.end();
      },
      complete: () => out.end(),
    });
    out.onClose(() => events.unsubscribe());
  }
}
