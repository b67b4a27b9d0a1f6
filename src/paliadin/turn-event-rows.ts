import { storableText } from '../contract/storable-text.js';
import type { StoredTurnEvent, TurnStreamEvent } from '../contract/stream-events.js';

/**
 * How events sit in paliadin_turn_events (docs/event-log.md, "Storage"). A row
 * with `last_seq` NULL is one event: `kind` and `data` as sent. A row of kind
 * `batch` holds the events seq..last_seq
 * as a JSON array in order: a streamed delta as its bare string (most events
 * of a streamed answer, so they cost their text and little more), any other
 * event as `{k: kind, d: data}`. Every event keeps its own seq, so a resume
 * from any id a client has seen stays exact.
 */
export const BATCH_KIND = 'batch';

export interface EventRow {
  seq: number;
  last_seq: number | null;
  kind: string;
  data: unknown;
}

type BatchElement = string | { k: string; d: unknown };

/** One row for a contiguous run of events: a plain row for one, a batch row for more. */
export function toRow(events: StoredTurnEvent[]): EventRow {
  if (events.length === 1) return { seq: events[0].seq, last_seq: null, kind: events[0].kind, data: events[0].data };
  return { seq: events[0].seq, last_seq: events[events.length - 1].seq, kind: BATCH_KIND, data: events.map(toElement) };
}

/** The events a row holds with seq above `afterSeq`, in order. */
export function fromRow(row: EventRow, afterSeq = 0): StoredTurnEvent[] {
  if (row.kind !== BATCH_KIND) return row.seq > afterSeq ? [{ seq: row.seq, kind: row.kind, data: row.data } as StoredTurnEvent] : [];
  const out: StoredTurnEvent[] = [];
  (row.data as BatchElement[]).forEach((el, i) => {
    const seq = row.seq + i;
    if (seq > afterSeq) out.push({ seq, ...fromElement(el) });
  });
  return out;
}

function toElement(ev: StoredTurnEvent): BatchElement {
  if (ev.kind === 'content' && 'delta' in ev.data) return ev.data.delta;
  return { k: ev.kind, d: ev.data };
}

function fromElement(el: BatchElement): TurnStreamEvent {
  if (typeof el === 'string') return { kind: 'content', data: { delta: el, streamed: true } };
  return { kind: el.k, data: el.d } as TurnStreamEvent;
}

/**
 * The event as reading it back from the table gives it: text made storable,
 * object keys in jsonb's order (shorter first, then by code unit). Readers
 * served by the local fast path then get the very bytes a reader on another
 * instance, or a later replay, gets.
 */
export function storedForm(ev: TurnStreamEvent): TurnStreamEvent {
  if (ev.kind === 'content' && 'delta' in ev.data) {
    // The most frequent event by far: kept as it is when it already is in stored form.
    const delta = storableText(ev.data.delta);
    return delta === ev.data.delta ? ev : { kind: 'content', data: { delta, streamed: true } };
  }
  return { kind: ev.kind, data: jsonbOrdered(ev.data) } as TurnStreamEvent;
}

function jsonbOrdered(v: unknown): unknown {
  if (typeof v === 'string') return storableText(v);
  if (Array.isArray(v)) return v.map(jsonbOrdered);
  if (!v || typeof v !== 'object') return v;
  const keys = Object.keys(v).sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    const x = (v as Record<string, unknown>)[k];
    if (x !== undefined) out[storableText(k)] = jsonbOrdered(x);
  }
  return out;
}
