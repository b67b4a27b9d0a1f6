import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { SseWriter } from '../http/sse-writer.js';
import { TurnFeeds } from '../paliadin/turn-feeds.js';

/** Where a reader is in a session stream: after session event `n`, and after event `m` of the turn it started (0: none of it). */
export interface SessionPosition {
  n: number;
  m: number;
}

/** `N` or `N.M` (docs/sessions.md), or undefined when the id is not one of ours. */
export function parseSessionEventId(raw: string): SessionPosition | undefined {
  const m = /^(\d{1,9})(?:\.(\d{1,9}))?$/.exec(raw.trim());
  return m ? { n: Number(m[1]), m: Number((m[2] as string | undefined) ?? 0) } : undefined;
}

interface SessionEventRow {
  seq: number;
  kind: string;
  data: { turn_id?: string } & Record<string, unknown>;
}

/**
 * A session's whole life as one SSE stream (docs/sessions.md): its own
 * events (`session`, `turn`) with their seq as id `N`, and after each `turn`
 * that turn's events with `turn_id` added and id `N.M` (M the turn's own
 * seq). Turns of a session run one at a time, so this order is the order
 * things happened. Resumable from any id, from any instance: the session's
 * events come from its table, each turn's from its event log (live through
 * TurnFeeds). It replays and closes once the session has ended.
 */
@Injectable()
export class SessionStream {
  private readonly logger = new Logger(SessionStream.name);

  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    @InjectDataSource() private readonly db: DataSource,
    private readonly feeds: TurnFeeds,
  ) {}

  open(sessionId: string, from: SessionPosition, res: ServerResponse): void {
    const out = new SseWriter(res, this.config.env.PALIADIN_PING_INTERVAL_MS);
    const gone = new AbortController();
    out.onClose(() => gone.abort());
    this.follow(sessionId, from, out, gone.signal)
      .catch((err: unknown) => {
        if (gone.signal.aborted) return;
        this.logger.error({ err, sessionId }, 'session stream failed');
        out.event(`${from.n}`, 'error', { code: 'upstream_error', message: 'The event stream failed; reconnect to resume', retryable: true });
      })
      .finally(() => out.end());
  }

  private async follow(sessionId: string, from: SessionPosition, out: SseWriter, gone: AbortSignal): Promise<void> {
    let n = from.n;
    // Resuming at (or inside) a turn: the rest of that turn first.
    if (n > 0) {
      const [at]: (SessionEventRow | undefined)[] = await this.db.query(
        `SELECT seq, kind, data FROM paliadin_session_events WHERE session_id = $1 AND seq = $2`,
        [sessionId, n],
      );
      if (at?.kind === 'turn' && at.data.turn_id) await this.turn(at.data.turn_id, n, from.m, out, gone);
    }
    while (!gone.aborted) {
      // The status first: ending a session writes its last event and its status in one statement,
      // so events read after a status of `ended` include that last event. (Read the other way
      // round, the session could end between the two reads and its last event be left out.)
      const [s]: ({ status: string } | undefined)[] = await this.db.query(`SELECT status FROM paliadin_sessions WHERE id = $1`, [sessionId]);
      const events: SessionEventRow[] = await this.db.query(
        `SELECT seq, kind, data FROM paliadin_session_events WHERE session_id = $1 AND seq > $2 ORDER BY seq`,
        [sessionId, n],
      );
      for (const ev of events) {
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- the reader may leave during the await below
        if (gone.aborted) return;
        n = ev.seq;
        out.event(String(ev.seq), ev.kind, ev.data, ev.seq === 1 ? 1000 : undefined);
        if (ev.kind === 'turn' && ev.data.turn_id) await this.turn(ev.data.turn_id, n, 0, out, gone);
      }
      if (events.length > 0) continue;
      if (s?.status !== 'active') return;
      // Idle and active: look for new session events again soon (turn events themselves arrive live).
      await sleep(this.config.env.PALIADIN_QUEUE_POLL_MS, undefined, { signal: gone }).catch(() => undefined);
    }
  }

  /** One turn's events after `m`, as `n.seq` with its turn_id, until the turn ends (or the client leaves). */
  private turn(turnId: string, n: number, m: number, out: SseWriter, gone: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const sub = this.feeds.watch(turnId, m).subscribe({
        next: (run) => {
          for (const ev of run) if (ev.kind !== 'meta') out.event(`${n}.${ev.seq}`, ev.kind, { ...(ev.data as object), turn_id: turnId });
        },
        error: reject,
        complete: resolve,
      });
      gone.addEventListener('abort', () => {
        sub.unsubscribe();
        resolve();
      });
    });
  }
}
