import type { Subscription } from 'rxjs';
import type { BackendEvent, BackendTurnRequest, PaliadinBackend, TurnMeta } from '../backends/backend.interface.js';
import { EMPTY_META, mergeMeta } from '../contract/answer.js';
import type { ErrorCode } from '../contract/error-codes.js';
import type { ErrorData, TurnStreamEvent } from '../contract/stream-events.js';
import { answeredTurn } from './turn-answer.js';
import type { TurnCompletion, TurnEventLog, TurnEventWriter } from './turn-event-log.js';
import { seconds } from '../contract/seconds.js';

export interface TurnTimings {
  thinkingIntervalMs: number;
  silenceTimeoutMs: number;
  streamDeadlineMs: number;
  oneshotTimeoutMs: number;
}

export interface TurnRunDeps {
  backend: PaliadinBackend;
  log: TurnEventLog;
  timings: TurnTimings;
  /** Persists the conversation id the moment it is known (aichat recovery needs it). */
  saveConversationId: (turnId: string, id: string) => Promise<void>;
  onSettled: (run: TurnRun) => void;
  logError: (err: unknown, msg: string) => void;
}

/**
 * One running turn: subscribes to the backend and turns what it emits into the
 * stream events of docs/events.md, each stored (numbered) before anyone sees
 * it. It alone decides when the turn ends: done, error, silence, deadline or
 * cancel, whichever comes first, and ends it exactly once.
 */
export class TurnRun {
  private readonly writer: TurnEventWriter;
  private readonly startedMs = Date.now();
  private subscription?: Subscription;
  private timers: NodeJS.Timeout[] = [];
  private silenceTimer?: NodeJS.Timeout;
  private heardSinceTick = false;
  private chunks: string[] = [];
  private meta: TurnMeta = EMPTY_META;
  private conversationId?: string;
  private ending = false;
  readonly settled: Promise<void>;
  private settle!: () => void;

  constructor(
    readonly request: BackendTurnRequest,
    private readonly deps: TurnRunDeps,
  ) {
    // seq 1 (meta) was stored with the row.
    this.writer = deps.log.writer(request.turnId, 1, () => this.abandon());
    this.settled = new Promise((r) => (this.settle = r));
  }

  get turnId(): string {
    return this.request.turnId;
  }

  start(): void {
    const { timings, backend } = this.deps;
    const streaming = backend.mode === 'streaming';
    this.every(timings.thinkingIntervalMs, () => this.tick());
    this.after(streaming ? timings.streamDeadlineMs : timings.oneshotTimeoutMs, () =>
      this.fail('timeout', `The agent did not finish within ${seconds(streaming ? timings.streamDeadlineMs : timings.oneshotTimeoutMs)}`),
    );
    if (streaming) this.armSilence();
    try {
      this.subscription = backend.runTurn(this.request).subscribe({
        next: (ev) => this.onBackendEvent(ev),
        error: (err: unknown) => {
          this.deps.logError(err, 'backend failed');
          this.fail('upstream_error', 'The agent backend failed');
        },
        complete: () => this.fail('upstream_error', 'The agent backend ended the turn without an answer'),
      });
      // A backend that finished synchronously did so before `subscription` was set.
      if (this.ending) this.subscription.unsubscribe();
    } catch (err) {
      this.deps.logError(err, 'backend failed to start the turn');
      this.fail('upstream_error', 'The agent backend failed');
    }
  }

  /** Stops the backend's work and ends the turn with `cancelled`. */
  cancel(): Promise<void> {
    this.fail('cancelled', 'The turn was cancelled');
    return this.settled;
  }

  /** This instance is going away: end the turn as `interrupted` rather than leave it to the janitor. */
  interrupt(): Promise<void> {
    this.fail('interrupted', 'The server running this turn shut down', true);
    return this.settled;
  }

  private onBackendEvent(ev: BackendEvent): void {
    if (this.ending) return;
    this.heardSinceTick = true;
    this.armSilence();
    switch (ev.type) {
      case 'chunk':
        this.chunks.push(ev.text);
        this.emit({ kind: 'content', data: { delta: ev.text, streamed: true } });
        return;
      case 'heartbeat':
        this.emit({ kind: 'thinking', data: { elapsed_seconds: ev.elapsedSeconds, since_first: this.chunks.length > 0, upstream: true } });
        return;
      case 'meta':
        this.meta = mergeMeta(this.meta, ev.meta);
        return;
      case 'conversation':
        this.conversationId = ev.conversationId;
        this.deps.saveConversationId(this.turnId, ev.conversationId).catch((e: unknown) => this.deps.logError(e, 'could not store the conversation id'));
        return;
      case 'done':
        this.succeed(ev);
        return;
      case 'error':
        this.fail(ev.code, ev.message, ev.retryable);
        return;
    }
  }

  private succeed(done: Extract<BackendEvent, { type: 'done' }>): void {
    const streamed = this.chunks.length > 0;
    const { events, completion } = answeredTurn({
      turnId: this.turnId,
      raw: done.response || this.chunks.join(''),
      meta: mergeMeta(this.meta, done.meta),
      durationMs: done.durationMs ?? Date.now() - this.startedMs,
      streamed,
      aichatConversationId: this.conversationId,
    });
    this.end(events, completion);
  }

  private fail(code: ErrorCode, message: string, retryable?: boolean): void {
    const data: ErrorData = { code, message, ...(retryable !== undefined ? { retryable } : {}) };
    this.end([{ kind: 'error', data }], {
      response: null,
      errorCode: code,
      durationMs: Date.now() - this.startedMs,
      tokens: null,
      usedTools: this.meta.usedTools,
      rowsSeen: this.meta.rowsSeen,
      chipCount: 0,
      classifierTag: this.meta.classifierTag || null,
      aichatConversationId: this.conversationId,
    });
  }

  /** Ends the turn once: stop the backend and timers, store what is pending, then the closing events with the row. */
  private end(closing: TurnStreamEvent[], completion: TurnCompletion): void {
    if (this.ending) return;
    this.ending = true;
    this.stopWork();
    void (async () => {
      try {
        await this.writer.flush();
        await this.deps.log.finish(this.turnId, closing, completion);
      } catch (e) {
        // The row stays unfinished; with this runner gone, the janitor ends it as interrupted.
        this.deps.logError(e, 'could not finish the turn');
      } finally {
        this.settle();
        this.deps.onSettled(this);
      }
    })();
  }

  /** The log refused our events (the turn was finished elsewhere, or the database failed). */
  private abandon(): void {
    if (this.ending) return;
    this.ending = true;
    this.stopWork();
    this.settle();
    this.deps.onSettled(this);
  }

  private stopWork(): void {
    this.timers.forEach((t) => clearTimeout(t));
    clearTimeout(this.silenceTimer);
    this.subscription?.unsubscribe();
  }

  private emit(ev: TurnStreamEvent): void {
    this.writer.append(ev);
  }

  /** Proof of life while the upstream says nothing. */
  private tick(): void {
    if (this.ending) return;
    if (this.heardSinceTick) {
      this.heardSinceTick = false;
      return;
    }
    this.emit({
      kind: 'thinking',
      data: { elapsed_seconds: Math.floor((Date.now() - this.startedMs) / 1000), since_first: this.chunks.length > 0 },
    });
  }

  private armSilence(): void {
    if (this.deps.backend.mode !== 'streaming' || this.ending) return;
    clearTimeout(this.silenceTimer);
    const ms = this.deps.timings.silenceTimeoutMs;
    this.silenceTimer = setTimeout(() => this.fail('upstream_silence', `The agent upstream went silent for over ${seconds(ms)}`), ms);
  }

  private every(ms: number, fn: () => void): void {
    this.timers.push(setInterval(fn, ms));
  }

  private after(ms: number, fn: () => void): void {
    this.timers.push(setTimeout(fn, ms));
  }
}
