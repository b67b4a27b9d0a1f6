import { path, type Http } from './http.js';
import type { BodyOf, ResultOf } from './types.js';

/** The agent asks, the caller answers (docs/requests.md): permissions, questions, client tool calls. */
export function requestsApi(http: Http) {
  return {
    /** A turn's requests, open and resolved. */
    list: (turnId: string) => http.json<ResultOf<'/api/paliadin/turns/{id}/requests', 'get'>>('GET', path`/api/paliadin/turns/${turnId}/requests`),
    /**
     * Answers a request: the resolved request. The same answer again is
     * answered the same; another one is a PaliadinError 409 REQUEST_RESOLVED
     * whose `body.request` says how it was resolved.
     */
    answer: (turnId: string, requestId: string, body: BodyOf<'/api/paliadin/turns/{id}/requests/{request_id}', 'post'>) =>
      http.json<ResultOf<'/api/paliadin/turns/{id}/requests/{request_id}', 'post'>>('POST', path`/api/paliadin/turns/${turnId}/requests/${requestId}`, {
        body,
      }),
  };
}
