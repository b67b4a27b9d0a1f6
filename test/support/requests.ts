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

/** Claude's AskUserQuestion input with two questions: one single-select, one multi-select. */
export const TWO_QUESTIONS = {
  questions: [
    {
      question: 'Which format?',
      header: 'Format',
      multiSelect: false,
      options: [
        { label: 'PDF', description: 'printable' },
        { label: 'Word', description: 'editable' },
      ],
    },
    {
      question: 'Which parts?',
      header: 'Parts',
      multiSelect: true,
      options: [
        { label: 'Summary', description: 's' },
        { label: 'Deadlines', description: 'd' },
        { label: 'Costs', description: 'c' },
      ],
    },
  ],
};
