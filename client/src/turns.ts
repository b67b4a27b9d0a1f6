import { retryDelay, sleep } from './backoff.js';
import { PaliadinError } from './errors.js';
import { resumingEvents, type EventsOptions, type StreamEvent, type StreamShape } from './event-stream.js';
import { TURN_EVENTS, type TurnEventData } from './generated/events.js';
import { path, type Http } from './http.js';
import type { BodyOf, QueryOf, ResultOf } from './types.js';

/** One event of a turn's stream (docs/events.md), narrowed by `event`. */
export type TurnEvent = StreamEvent<TurnEventData>;

export interface AnswerOptions {
  signal?: AbortSignal;
  /** How long to keep asking /recover for a late answer after a recoverable error (default 10 minutes). */
  recoverForMs?: number;
}

// Errors after which the answer may still come late (docs/events.md, "Error codes").
const LATE_ANSWER_MAY_COME = new Set(['timeout', 'upstream_silence', 'upstream_error', 'interrupted']);

/** Whether a turn that ended in this error may still get its answer (turns.answer then asks /recover). */
export function mayAnswerLate(error: TurnEventData['error']): boolean {
  return error.retryable === true || LATE_ANSWER_MAY_COME.has(error.code);
}

const TURN_STREAM: StreamShape = {
  names: TURN_EVENTS,
  compare: (a, b) => Number(a) - Number(b),
  ends: (event) => (event === 'end' || event === 'error' ? 'now' : false),
};

export function turnsApi(http: Http) {
  const api = {
    /** Starts a turn: `{turn_id, sse_url}`. It runs whether anyone reads it or not. */
    create: (body: BodyOf<'/api/paliadin/turn', 'post'>, o: { signal?: AbortSignal } = {}) =>
      http.json<ResultOf<'/api/paliadin/turn', 'post'>>('POST', '/api/paliadin/turn', { body, signal: o.signal }),
    /** The turn's row. */
    get: (turnId: string) => http.json<ResultOf<'/api/paliadin/turns/{id}', 'get'>>('GET', path`/api/paliadin/turns/${turnId}`),
    /** The row plus `recovery_state`: recovered, pending or lost (a late answer found now is delivered first). */
    recover: (turnId: string) => http.json<ResultOf<'/api/paliadin/turns/{id}/recover', 'get'>>('GET', path`/api/paliadin/turns/${turnId}/recover`),
    /** Stops a running turn (`cancelled`); a finished one is left as it is. */
    cancel: (turnId: string) => http.json<ResultOf<'/api/paliadin/turns/{id}/cancel', 'post'>>('POST', path`/api/paliadin/turns/${turnId}/cancel`),
    /** Your turns of one browser session, oldest first. */
    history: (query: QueryOf<'/api/paliadin/history', 'get'>) => http.json<ResultOf<'/api/paliadin/history', 'get'>>('GET', '/api/paliadin/history', { query }),
    /** Ends your default agent session: the next turn starts a fresh one. */
    reset: () => http.json<ResultOf<'/api/paliadin/reset', 'post'>>('POST', '/api/paliadin/reset'),

    /**
     * The turn's events as they come, from the first (or after
     * `lastEventId`), through any number of dropped connections, each once,
     * ending after `end` or `error`.
     */
    events: (turnId: string, o: EventsOptions = {}): AsyncGenerator<TurnEvent, void, undefined> =>
      resumingEvents<TurnEventData>(http, path`/api/paliadin/stream/${turnId}`, TURN_STREAM, o),

    /**
     * The turn's whole answer. When its stream ends in an error after which
     * the answer may still come (a timeout, an interrupted instance), asks
     * /recover until it is there, or known lost (a PaliadinError with the
     * turn's error code; status 0). Any other error of the turn is thrown
     * the same way.
     */
    answer: async (turnId: string, o: AnswerOptions = {}): Promise<string> => {
      let text = '';
      let failure: TurnEventData['error'] | undefined;
      for await (const ev of api.events(turnId, { signal: o.signal })) {
        if (ev.event === 'content') text = ev.data.text ?? text + (ev.data.delta ?? '');
        else if (ev.event === 'end') return text;
        else if (ev.event === 'error') failure = ev.data;
      }
      if (!failure) throw o.signal?.reason ?? new PaliadinError(0, 'NETWORK', `turn ${turnId}: the stream ended without an answer`);
      if (!mayAnswerLate(failure)) throw new PaliadinError(0, failure.code, failure.message);
      const deadline = Date.now() + (o.recoverForMs ?? 600_000);
      for (let attempt = 0; ; attempt++) {
        const row = await api.recover(turnId);
        if (row.recovery_state === 'recovered') return row.response ?? '';
        if (row.recovery_state === 'lost' || Date.now() >= deadline) throw new PaliadinError(0, failure.code, failure.message);
        await sleep(Math.min(retryDelay(http.retry, attempt), Math.max(0, deadline - Date.now())), o.signal);
        if (o.signal?.aborted) throw o.signal.reason;
      }
    },
  };
  return api;
}
