import { randomUUID } from 'node:crypto';
import type { AgentAsk, AgentAsks, AgentReply } from '../backends/backend.interface.js';
import type { ErrorCode } from '../contract/error-codes.js';
import { PERMISSION_DECISIONS, unanswered, type RequestKind, type ResolvedBy } from '../contract/requests.js';
import { storableValue } from '../contract/storable-text.js';
import type { TurnStreamEvent } from '../contract/stream-events.js';
import type { StoredResolution, TurnRequests } from './turn-requests.js';

interface OpenRequest {
  kind: RequestKind;
  /** Settles the request once: its `resolved` event, then the driver's answer. */
  settle: (r: StoredResolution) => void;
}

export interface TurnAsksDeps {
  store: TurnRequests;
  /** Appends an event to the turn's log. */
  emit: (ev: TurnStreamEvent) => void;
  timeoutMs: number;
  /** Told whenever a request opens or closes (the run's silence watch and heartbeats follow). */
  changed: () => void;
  logError: (err: unknown, msg: string) => void;
}

/**
 * One turn's requests (docs/requests.md): the port a driver asks through.
 * Each request is stored, then shown on the turn's stream, then waited on
 * until it is answered (on any instance), times out, or ends with the turn;
 * its `resolved` event goes into the stream the moment it settles, before
 * the driver hears the answer. Several may be open at once.
 */
export class TurnAsks implements AgentAsks {
  private readonly open = new Map<string, OpenRequest>();
  /** Set once the turn ends: open requests resolve this way, new ones are refused at once. */
  private closedBy?: ResolvedBy;
  private closing: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly turn: { turnId: string; userId: string; sessionRef: string | null },
    private readonly deps: TurnAsksDeps,
  ) {}

  /** The oldest open request, for `thinking.waiting_for`. */
  get waitingFor(): { request_id: string; kind: RequestKind } | undefined {
    const first = this.open.entries().next();
    return first.done ? undefined : { request_id: first.value[0], kind: first.value[1].kind };
  }

  async ask(ask: AgentAsk, signal: AbortSignal): Promise<AgentReply> {
    if (this.closedBy || signal.aborted) return unanswered(ask.kind, this.closedBy ?? 'cancel', this.deps.timeoutMs);
    const requestId = randomUUID();
    const createdAt = new Date();
    const expiresAt = new Date(createdAt.getTime() + this.deps.timeoutMs);
    const data = storableValue(eventData(ask));
    try {
      await this.deps.store.open({
        requestId,
        ...this.turn,
        kind: ask.kind,
        data,
        grantRule: ask.kind === 'permission' ? ask.grantRule : undefined,
        createdAt,
        expiresAt,
      });
    } catch (e) {
      // Nobody can be asked without the row: the agent hears no, and the turn goes on.
      this.deps.logError(e, 'could not store a request');
      return { ...unanswered(ask.kind, 'interrupted', this.deps.timeoutMs), answer: 'The request could not be stored, so nobody was asked' };
    }
    // A turn that ended while the row was written resolves it as it ended.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- the turn may have ended during the await
    if (this.closedBy) return this.settleNow(requestId, ask.kind, this.closedBy);
    this.deps.emit({ kind: ask.kind, data: { request_id: requestId, ...data, expires_at: expiresAt.toISOString() } } as TurnStreamEvent);
    return new Promise<AgentReply>((resolve) => {
      const stopWaiting = new AbortController();
      // At the `expires_at` the caller was shown, however long the row took to store.
      const timer = setTimeout(() => void this.resolveAs(requestId, 'timeout'), Math.max(0, expiresAt.getTime() - Date.now()));
      const onAbort = () => void this.resolveAs(requestId, this.closedBy ?? 'cancel');
      let done = false;
      this.open.set(requestId, {
        kind: ask.kind,
        settle: (r) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          stopWaiting.abort();
          signal.removeEventListener('abort', onAbort);
          this.open.delete(requestId);
          this.deps.emit({
            kind: 'resolved',
            data: { request_id: requestId, kind: ask.kind, outcome: r.outcome, by: r.by, at: r.at.toISOString() },
          });
          this.deps.changed();
          resolve({ by: r.by, outcome: r.outcome, answer: r.answer });
        },
      });
      this.deps.changed();
      signal.addEventListener('abort', onAbort);
      // An answer from anywhere (an instance's API, this one's): the store hears of its commit.
      this.deps.store.resolution(requestId, stopWaiting.signal).then(
        (r) => this.open.get(requestId)?.settle(r),
        (e: unknown) => this.deps.logError(e, 'could not wait for an answer'),
      );
    });
  }

  grants(): Promise<string[]> {
    return this.turn.sessionRef ? this.deps.store.grants(this.turn.sessionRef) : Promise.resolve([]);
  }

  /**
   * The turn ends: every open request resolves `by` (cancel, timeout,
   * interrupted) and new ones are refused. The returned promise settles once
   * their `resolved` events are appended.
   */
  close(by: ResolvedBy): Promise<unknown> {
    if (!this.closedBy) {
      this.closedBy = by;
      this.closing = Promise.all([...this.open.keys()].map((id) => this.resolveAs(id, by)));
    }
    return this.closing;
  }

  /** Resolves an open request here (its deadline, the turn's end): the stored resolution wins if an answer came first. */
  private async resolveAs(requestId: string, by: ResolvedBy): Promise<void> {
    const entry = this.open.get(requestId);
    if (!entry) return;
    const { outcome, answer } = unanswered(entry.kind, by, this.deps.timeoutMs);
    let stored: StoredResolution;
    try {
      stored = await this.deps.store.resolve(requestId, by, outcome, answer);
    } catch (e) {
      this.deps.logError(e, 'could not store how a request ended');
      stored = { by, outcome, answer, at: new Date() };
    }
    this.open.get(requestId)?.settle(stored);
  }

  private async settleNow(requestId: string, kind: RequestKind, by: ResolvedBy): Promise<AgentReply> {
    const { outcome, answer } = unanswered(kind, by, this.deps.timeoutMs);
    const stored = await this.deps.store.resolve(requestId, by, outcome, answer).catch(() => ({ by, outcome, answer }));
    return { by: stored.by, outcome: stored.outcome, answer: stored.answer };
  }
}

/** The event's data of a request, less its id and deadline. */
function eventData(ask: AgentAsk): Record<string, unknown> {
  switch (ask.kind) {
    case 'permission':
      return { tool: ask.tool, input_summary: ask.inputSummary, input: ask.input, options: [...PERMISSION_DECISIONS] };
    case 'question':
      return { questions: ask.questions };
    case 'client_tool':
      return { name: ask.name, input: ask.input };
  }
}

/** How a turn's open requests resolve when it ends with `errorCode` (null: it answered, so nobody is asked anymore). */
export function requestsEndAs(errorCode: ErrorCode | null): 'cancel' | 'timeout' | 'interrupted' {
  if (errorCode === 'cancelled') return 'cancel';
  return errorCode === 'timeout' ? 'timeout' : 'interrupted';
}
