import { expect } from '@jest/globals';
import { DataSource } from 'typeorm';
import type { TurnApp } from './pipeline-app.js';
import type { SseEvent } from './sse-client.js';
import { waitUntil } from './wait.js';

/** The answer a read carries: its content events' text, in order. */
export const answerText = (events: SseEvent[]): string =>
  events
    .filter((e) => e.event === 'content')
    .map((e) => (e.data as { delta?: string; text?: string }).delta ?? (e.data as { text: string }).text)
    .join('');

/** Every stored event of a turn once, in order (ids 1..n without a gap or a repeat), from `meta` to one end. */
export function expectWhole(events: SseEvent[]): void {
  const stored = events.filter((e) => e.event !== 'ping');
  expect(stored.map((e) => Number(e.id))).toEqual(stored.map((_, i) => i + 1));
  expect(stored[0].event).toBe('meta');
  expect(stored.filter((e) => e.event === 'end' || e.event === 'error')).toHaveLength(1);
}

/** Resolves once `turnId` has stored a `thinking` event: it waits its turn behind another. */
export async function waitingItsTurn(t: TurnApp, turnId: string): Promise<void> {
  const db = t.app.get(DataSource);
  await waitUntil(
    async () => (await db.query(`SELECT count(*)::int AS n FROM paliadin_turn_events WHERE turn_id = $1 AND kind = 'thinking'`, [turnId]))[0].n > 0,
    30_000,
    `turn ${turnId} waiting its turn`,
  );
}
