import { setTimeout as sleep } from 'node:timers/promises';
import { CallBatcher } from '../database/call-batcher.js';

// A flush carrying this many turns' events or more: a crowd is streaming.
export const CROWD_TURNS = 50;
// While a crowd streams, folding waits for this long without a flush or a finish starting...
const QUIET_MS = 250;
// ...but a turn waits no longer than this.
const MAX_WAIT_MS = 5_000;
// A stop waits this long at most for the folds already sent (a database that hangs must not hold it up).
const STOP_WAIT_MS = 2_000;
// Turns folded together go in one statement.
const CALLS = 2;
const BATCH = 200;

/**
 * The folding of finished turns' rows (TurnEventLog.compact): housekeeping.
 * With a few turns streaming it goes at once, the turns that end together
 * in one statement. While a crowd streams it waits until the instance's
 * live work pauses: in a burst of 2,000 turns, the folds of those that had
 * ended took the database's CPU from the flushes of those still streaming,
 * whose content then arrived 0.3-0.5 s late for the seconds the ends went
 * on. A turn waits at most MAX_WAIT_MS (5 s); those folded before a pause go
 * one per statement, so the flushes in between wait for one fold at most.
 * Not waiting when few turns stream matters too: deferred always, the folds
 * of 20,000-event turns landed in the next turn's stream, whose worst event
 * came 90-125 ms late. What waits when the app stops is left unfolded (its
 * events are all there, in more rows); folds already sent are waited for
 * (STOP_WAIT_MS at most), so the app's connections are not closed under them.
 */
export class TurnCompactions {
  private readonly waiting = new Set<string>();
  private oldest = 0;
  private lastLive = 0;
  private lastCrowd = -Infinity;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private readonly batcher: CallBatcher<string, true>;
  private readonly sent = new Set<Promise<void>>();

  constructor(
    fold: (turnIds: string[]) => Promise<true[]>,
    private readonly onError: (turnId: string, e: unknown) => void,
    private readonly quietMs = QUIET_MS,
    private readonly maxWaitMs = MAX_WAIT_MS,
    private readonly stopWaitMs = STOP_WAIT_MS,
  ) {
    this.batcher = new CallBatcher({ call: fold, key: (turnId) => turnId, onePerKey: true, maxCalls: CALLS, maxBatch: BATCH });
  }

  /** Live work is starting: a flush of `turns` turns' events, or a turn's end (0). */
  live(turns = 0): void {
    this.lastLive = Date.now();
    if (turns >= CROWD_TURNS) this.lastCrowd = this.lastLive;
  }

  add(turnId: string): void {
    if (this.stopped) return;
    if (this.waiting.size === 0 && Date.now() - this.lastCrowd >= this.quietMs) {
      void this.fold(turnId, this.batcher.submit(turnId));
      return;
    }
    if (this.waiting.size === 0) this.oldest = Date.now();
    this.waiting.add(turnId);
    this.arm(this.quietMs);
  }

  /** Drops the turns still waiting; resolves once the folds already sent have ended, or after STOP_WAIT_MS. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.waiting.clear();
    await Promise.race([Promise.all(this.sent), sleep(this.stopWaitMs, undefined, { ref: false })]);
  }

  private arm(ms: number): void {
    if (this.timer || this.stopped) return;
    this.timer = setTimeout(() => this.check(), ms);
    // Nothing here is worth keeping the process up for.
    this.timer.unref();
  }

  private check(): void {
    this.timer = undefined;
    const now = Date.now();
    const quietFor = now - this.lastLive;
    const waited = now - this.oldest;
    if (quietFor < this.quietMs && waited < this.maxWaitMs) {
      this.arm(Math.min(this.quietMs - quietFor, this.maxWaitMs - waited) + 1);
      return;
    }
    const turnIds = [...this.waiting];
    this.waiting.clear();
    if (quietFor < this.quietMs) {
      // Live work goes on: one turn per statement, one after another, so the flushes in between wait for one fold at most.
      void this.oneByOne(turnIds);
      return;
    }
    this.batcher.submitAll(turnIds).forEach((folded, i) => void this.fold(turnIds[i], folded));
  }

  private async oneByOne(turnIds: string[]): Promise<void> {
    for (const turnId of turnIds) {
      if (this.stopped) return;
      await this.fold(turnId, this.batcher.submit(turnId));
    }
  }

  /** A fold sent: its failure is reported, and stop() waits for it. */
  private fold(turnId: string, folded: Promise<true>): Promise<void> {
    const done = folded.then(
      () => undefined,
      (e: unknown) => this.onError(turnId, e),
    );
    this.sent.add(done);
    void done.finally(() => this.sent.delete(done));
    return done;
  }
}
