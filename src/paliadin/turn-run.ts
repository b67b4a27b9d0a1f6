import type { Subscription } from 'rxjs';
import type { BackendEvent, BackendTurnRequest, PaliadinBackend, TurnMeta } from '../backends/backend.interface.js';
import { EMPTY_META, mergeMeta } from '../contract/answer.js';
import type { ErrorCode } from '../contract/error-codes.js';
import { seconds } from '../contract/seconds.js';
import { storableText, storableValue } from '../contract/storable-text.js';
import type { ErrorData, ThinkingData, TurnStreamEvent } from '../contract/stream-events.js';
import { answeredTurn } from './turn-answer.js';
import { requestsEndAs, TurnAsks } from './turn-asks.js';
import { NOT_STORED, storeEnd } from './turn-finish.js';
import type { TurnRequests } from './turn-requests.js';
import type { TurnEventLog } from './turn-event-log.js';
import type { TurnCompletion } from './turn-finishes.js';
import type { TurnEventSink, TurnEventWriter } from './turn-event-writer.js';

export interface TurnTimings {
  thinkingIntervalMs: number;
  silenceTimeoutMs: number;
  streamDeadlineMs: number;
  oneshotTimeoutMs: number;
}

export interface TurnRunDeps {
  backend: PaliadinBackend;
  log: TurnEventLog;
  writer: TurnEventWriter;
  timings: TurnTimings;
  /** How long finishing retries a database that fails for a passing reason (PALIADIN_DB_RETRY_MS). */
  dbRetryMs: number;
  /** Present when the turn must first wait for its agent session; resolves once it may run. */
  waitForTurn?: (signal: AbortSignal) => Promise<void>;
  /** A turn this instance took over from one that died before handing it over: its log so far ends at `lastSeq`. */
  adopted?: { lastSeq: number };
  /** Records that the turn goes to its agent now (BackendTurnRequest.handOver); false when another instance runs it now. */
  handOver?: (turnId: string) => Promise<boolean>;
  /** Present when the backend asks its callers (docs/requests.md): where requests are kept, and their deadline. */
  requests?: { store: TurnRequests; timeoutMs: number; sessionRef: string | null };
  onSettled: (run: TurnRun) => void;
  logError: (err: unknown, msg: string) => void;
  /** Told the first content's time and the stored outcome (metrics). */
  observe?: { firstContent: (ms: number) => void; ended: (errorCode: string | null, durationMs: number, closingEvents: number) => void };
}

/**
 * One running turn: subscribes to the backend and turns what it emits into the
 * stream events of docs/events.md, each stored (numbered) before anyone sees
 * it. It alone decides when the turn ends: done, error, silence, deadline or
 * cancel, whichever comes first, and ends it exactly once.
 */
export class TurnRun {
  private readonly sink: TurnEventSink;
  private readonly startedMs = Date.now();
  private subscription?: Subscription;
  private timers: NodeJS.Timeout[] = [];
  private silenceTimer?: NodeJS.Timeout;
  private lastHeardMs = Date.now();
  private heardSinceTick = false;
  private chunks: string[] = [];
  private meta: TurnMeta = EMPTY_META;
  /** Names of the tools the agent used (tool events), in order of first use. */
  private readonly tools = new Set<string>();
  private conversationId?: string;
  private ending = false;
  /** The turn went to the agent (its hand-over was recorded): from then on only `interrupted` can end it if this instance stops. */
  private handedOver = false;
  private hadContent = false;
  private queued = false;
  private readonly stopWaiting = new AbortController();
  /** The requests the backend makes of the caller while the turn runs, when it makes any. */
  private readonly asks?: TurnAsks;
  readonly settled: Promise<void>;
  private settle!: () => void;

  constructor(
    readonly request: BackendTurnRequest,
    private readonly deps: TurnRunDeps,
  ) {
    // seq 1 (meta) was stored with the row; a turn taken over has more already.
    this.sink = deps.writer.open(request.turnId, deps.adopted?.lastSeq ?? 1, {
      onRefused: () => this.abandon(),
      onFailed: () => this.fail(NOT_STORED.code, NOT_STORED.message, NOT_STORED.retryable),
    });
    this.settled = new Promise((r) => (this.settle = r));
    const record = deps.handOver;
    if (record) this.request = { ...this.request, handOver: () => this.handOver(record) };
    if (deps.requests && deps.backend.offersRequests) {
      const { store, timeoutMs, sessionRef } = deps.requests;
      this.asks = new TurnAsks(
        { turnId: request.turnId, userId: request.userId, sessionRef },
        {
          store,
          timeoutMs,
          emit: (ev) => this.emit(ev),
          // While the caller is asked, the agent is rightly silent: the silence watch restarts when the wait ends.
          changed: () => (this.lastHeardMs = Date.now()),
          logError: deps.logError,
        },
      );
      this.request = { ...this.request, asks: this.asks };
    }
  }

  get turnId(): string {
    return this.request.turnId;
  }

  start(): void {
    // Cancelled (or shut down) before it started.
    if (this.ending) return;
    this.every(this.deps.timings.thinkingIntervalMs, () => this.tick());
    const wait = this.deps.waitForTurn;
    if (!wait) {
      this.begin();
      return;
    }
    // Waiting for the agent session shows as `thinking {queued: true}`; the clocks of the turn start when it runs.
    this.queued = true;
    wait(this.stopWaiting.signal).then(
      () => {
        this.queued = false;
        if (!this.ending) this.begin();
      },
      () => undefined, // only a cancel (or shutdown) stops the wait, and that ended the turn already
    );
  }

  private begin(): void {
    const { timings, backend } = this.deps;
    const streaming = backend.mode === 'streaming';
    this.lastHeardMs = Date.now();
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

  /**
   * The backend sends the turn now: recorded first, so that from here on a
   * death of this instance ends the turn `interrupted` rather than letting
   * another run it. Not recorded: the turn ends here (the database failed),
   * or is left to the instance that took it over.
   */
  private async handOver(record: (turnId: string) => Promise<boolean>): Promise<void> {
    if (this.ending) throw new Error('the turn has ended');
    let mine: boolean;
    try {
      mine = await record(this.turnId);
    } catch (e) {
      this.deps.logError(e, 'could not record the hand-over');
      this.fail('interrupted', 'The turn could not be handed to the agent; please ask again', true);
      throw e;
    }
    if (!mine) {
      this.abandon();
      throw new Error('another instance runs this turn now');
    }
    this.handedOver = true;
    // The agent has the turn from now, so its silence counts from here: what came before (an agent
    // starting, the hand-over's own write on a busy database) was not the agent being silent.
    this.lastHeardMs = Date.now();
  }

  /** Stops the backend's work and ends the turn with `cancelled`. */
  cancel(): Promise<void> {
    this.fail('cancelled', 'The turn was cancelled');
    return this.settled;
  }

  /**
   * This instance is going away. A turn that went to its agent ends as
   * `interrupted` rather than being left to the janitor; one that never did
   * is handed back (`release`: its events so far stored, no end) for another
   * instance to run (docs/event-log.md, "When an instance dies").
   */
  async interrupt(release: (turnId: string) => Promise<boolean>): Promise<void> {
    if (!this.handedOver && !this.ending) {
      this.ending = true;
      this.stopWork();
      await this.sink.flush();
      // A hand-over already under way may have won: the turn may have reached its agent after all.
      const released = await release(this.turnId).catch((e: unknown) => {
        this.deps.logError(e, 'could not hand the turn back');
        return false;
      });
      if (released) {
        this.sink.close();
        this.settle();
        this.deps.onSettled(this);
        return;
      }
      this.ending = false;
    }
    this.fail('interrupted', 'The server running this turn shut down', true);
    return this.settled;
  }

  private onBackendEvent(raw: BackendEvent): void {
    if (this.ending) return;
    this.heardSinceTick = true;
    this.lastHeardMs = Date.now();
    // Every backend's text passes here: made storable once, so the stream and the row agree.
    const ev = storableBackendEvent(raw);
    switch (ev.type) {
      case 'chunk':
        this.chunks.push(ev.text);
        this.emit({ kind: 'content', data: { delta: ev.text, streamed: true } });
        return;
      case 'heartbeat':
        this.emit({ kind: 'thinking', data: { elapsed_seconds: ev.elapsedSeconds, since_first: this.chunks.length > 0, upstream: true, ...this.waiting() } });
        return;
      case 'meta':
        this.meta = mergeMeta(this.meta, ev.meta);
        return;
      case 'tool':
        this.tools.add(ev.name);
        this.emit({ kind: 'tool', data: { name: ev.name, input_summary: ev.inputSummary, status: ev.status } });
        return;
      case 'thought':
        this.emit({ kind: 'thought', data: { delta: ev.text } });
        return;
      case 'plan':
        this.emit({ kind: 'plan', data: { entries: ev.entries } });
        return;
      case 'conversation':
        this.conversationId = ev.conversationId;
        this.sink.noteConversation(ev.conversationId);
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
    let raw = done.response;
    if (streamed) {
      // The answer is what the client was sent. An upstream whose final answer goes on past
      // the deltas gets the rest sent as one more delta; any other difference, the deltas win.
      // One join: a long answer's tens of thousands of deltas take milliseconds to join.
      raw = this.chunks.join('');
      if (done.response.length > raw.length && done.response.startsWith(raw)) {
        this.onBackendEvent({ type: 'chunk', text: done.response.slice(raw.length) });
        raw += this.chunks[this.chunks.length - 1];
      }
    }
    const { events, completion } = answeredTurn({
      turnId: this.turnId,
      raw,
      meta: mergeMeta(this.meta, done.meta),
      toolsSeen: [...this.tools],
      durationMs: done.durationMs ?? Date.now() - this.startedMs,
      streamed,
      aichatConversationId: this.conversationId,
      usage: done.usage,
      numTurns: done.numTurns,
      stopReason: done.stopReason,
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
      usedTools: [...new Set([...this.meta.usedTools, ...this.tools])],
      rowsSeen: this.meta.rowsSeen,
      chipCount: 0,
      classifierTag: this.meta.classifierTag || null,
      aichatConversationId: this.conversationId,
    });
  }

  /**
   * Ends the turn once: stop the backend and timers, wait for what is pending
   * to be stored, then the closing events with the row. `end` goes in only
   * over a gap-free log: if the events could not all be stored, the turn
   * ends with a retryable `interrupted` instead.
   */
  private end(closing: TurnStreamEvent[], completion: TurnCompletion): void {
    if (this.ending) return;
    this.ending = true;
    // Before the backend stops: its open requests resolve as the turn ended, their `resolved` events before the last one.
    const requestsClosed = this.asks?.close(requestsEndAs(completion.errorCode));
    this.stopWork();
    void (async () => {
      try {
        await requestsClosed;
        await storeEnd(this.deps, this.sink, this.turnId, closing, completion);
      } catch (e) {
        // The row stays unfinished; with this runner gone, the janitor ends it as interrupted.
        this.deps.logError(e, 'could not finish the turn');
      } finally {
        this.sink.close();
        this.settle();
        this.deps.onSettled(this);
      }
    })();
  }

  /** The log refused our events: the turn was finished elsewhere (a cancel on another instance, the janitor). */
  private abandon(): void {
    if (this.ending) return;
    this.ending = true;
    this.stopWork();
    this.sink.close();
    this.settle();
    this.deps.onSettled(this);
  }

  private stopWork(): void {
    // Only a waiting turn listens; an abort makes a DOMException (a stack trace) that no one else needs.
    if (this.queued) this.stopWaiting.abort();
    this.timers.forEach((t) => clearTimeout(t));
    clearTimeout(this.silenceTimer);
    this.subscription?.unsubscribe();
  }

  private emit(ev: TurnStreamEvent): void {
    if (ev.kind === 'content' && !this.hadContent) {
      this.hadContent = true;
      this.deps.observe?.firstContent(Date.now() - this.startedMs);
    }
    this.sink.append(ev);
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
      data: {
        elapsed_seconds: Math.floor((Date.now() - this.startedMs) / 1000),
        since_first: this.chunks.length > 0,
        ...(this.queued ? { queued: true as const } : {}),
        ...this.waiting(),
      },
    });
  }

  /** `waiting_for` while a request is open. */
  private waiting(): Pick<ThinkingData, 'waiting_for'> {
    const waitingFor = this.asks?.waitingFor;
    return waitingFor ? { waiting_for: waitingFor } : {};
  }

  /**
   * Fails the turn once the upstream has said nothing for the silence timeout.
   * One timer that re-checks when it fires, rather than one re-armed per
   * event: a fast stream sends tens of thousands of events a second.
   */
  private armSilence(): void {
    if (this.deps.backend.mode !== 'streaming' || this.ending) return;
    const ms = this.deps.timings.silenceTimeoutMs;
    // No silence while the caller is asked: the agent waits for their answer (it has its own deadline).
    if (this.asks?.waitingFor) this.lastHeardMs = Date.now();
    const quietFor = Date.now() - this.lastHeardMs;
    if (quietFor >= ms) {
      this.fail('upstream_silence', `The agent upstream went silent for over ${seconds(ms)}`);
      return;
    }
    this.silenceTimer = setTimeout(() => this.armSilence(), ms - quietFor);
  }

  private every(ms: number, fn: () => void): void {
    this.timers.push(setInterval(fn, ms));
  }

  private after(ms: number, fn: () => void): void {
    this.timers.push(setTimeout(fn, ms));
  }
}

/** The event with its text made storable; chunks, by far the most frequent, take the short path. */
function storableBackendEvent(ev: BackendEvent): BackendEvent {
  if (ev.type === 'chunk') {
    const text = storableText(ev.text);
    return text === ev.text ? ev : { ...ev, text };
  }
  return ev.type === 'heartbeat' ? ev : storableValue(ev);
}
