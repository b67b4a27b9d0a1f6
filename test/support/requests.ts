import type { TurnApp } from './pipeline-app.js';
import type { SseEvent } from './sse-client.js';

/** POST /api/paliadin/turns/:id/requests/:request_id as `email`. */
export async function answerRequest(t: TurnApp, email: string, turnId: string, requestId: string, body: Record<string, unknown>) {
  return t
    .http()
    .post(`/api/paliadin/turns/${turnId}/requests/${requestId}`)
    .set('Authorization', await t.auth(email))
    .send(body);
}

/** The request events of a read (permission, question, client_tool), in order. */
export const requestsOf = (events: SseEvent[]) => events.filter((e) => ['permission', 'question', 'client_tool'].includes(e.event));

/** The resolved events of a read. */
export const resolvedOf = (events: SseEvent[]) => events.filter((e) => e.event === 'resolved').map((e) => e.data as Record<string, unknown>);

/** The id of a request event. */
export const requestIdOf = (ev: SseEvent) => (ev.data as { request_id: string }).request_id;
