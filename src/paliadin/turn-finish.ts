import type { ErrorData, TurnStreamEvent } from '../contract/stream-events.js';
import { withDbRetry } from '../database/db-retry.js';
import type { TurnEventLog } from './turn-event-log.js';
import type { TurnCompletion } from './turn-finishes.js';
import type { TurnEventSink } from './turn-event-writer.js';

/** The error a turn ends with when its events could not be stored: the client should ask again. */
export const NOT_STORED: ErrorData = { code: 'interrupted', message: 'The answer could not be stored; please ask again', retryable: true };

interface FinishDeps {
  log: TurnEventLog;
  /** Told the stored outcome (metrics), before the rows are folded. */
  observe?: { ended: (errorCode: string | null, durationMs: number, closingEvents: number) => void };
  /** How long finishing retries a database that fails for a passing reason (PALIADIN_DB_RETRY_MS). */
  dbRetryMs: number;
}

/**
 * Stores a turn's end once everything it emitted is stored: `end` goes in
 * only over a gap-free log (if the events could not all be stored, the turn
 * ends with a retryable `interrupted` instead), with the row, in one
 * statement, retried while the database fails for a passing reason. Then
 * the turn's rows are folded, once the instance's live work pauses. Nothing is stored when the turn was finished
 * elsewhere. Throws when the database would not take it.
 */
export async function storeEnd(deps: FinishDeps, sink: TurnEventSink, turnId: string, closing: TurnStreamEvent[], completion: TurnCompletion): Promise<void> {
  await sink.flush();
  if (sink.state === 'refused') return;
  if (sink.state === 'failed') {
    closing = [{ kind: 'error', data: NOT_STORED }];
    completion = { ...completion, response: null, errorCode: NOT_STORED.code, tokens: null, chipCount: 0 };
  }
  if (!(await withDbRetry(deps.dbRetryMs, () => deps.log.finish(turnId, closing, completion, true)))) return;
  deps.observe?.ended(completion.errorCode, completion.durationMs, closing.length);
  // Storage only, and later (TurnCompactions): the events stay the same, the rows fewer. A failure here loses nothing.
  deps.log.compact(turnId, sink.rows, sink.stored);
}
