import { path, type Http } from './http.js';
import type { BodyOf, QueryOf, ResultOf } from './types.js';
import { verifyWebhook } from './webhook-verify.js';

/** Webhook endpoints (docs/webhooks.md), and `verify` for the receiving side. */
export function webhooksApi(http: Http) {
  return {
    /** A new endpoint: the answer holds its secret, the only time it is shown. */
    create: (body: BodyOf<'/api/webhooks', 'post'>) => http.json<ResultOf<'/api/webhooks', 'post'>>('POST', '/api/webhooks', { body }),
    list: () => http.json<ResultOf<'/api/webhooks', 'get'>>('GET', '/api/webhooks'),
    get: (webhookId: string) => http.json<ResultOf<'/api/webhooks/{id}', 'get'>>('GET', path`/api/webhooks/${webhookId}`),
    remove: (webhookId: string) => http.json<undefined>('DELETE', path`/api/webhooks/${webhookId}`),
    /** Sends a `webhook.test` event: `{message_id}`. */
    test: (webhookId: string) => http.json<ResultOf<'/api/webhooks/{id}/test', 'post'>>('POST', path`/api/webhooks/${webhookId}/test`),
    /** The endpoint's deliveries, newest first, with their attempts. */
    deliveries: (webhookId: string, query: QueryOf<'/api/webhooks/{id}/deliveries', 'get'> = {}) =>
      http.json<ResultOf<'/api/webhooks/{id}/deliveries', 'get'>>('GET', path`/api/webhooks/${webhookId}/deliveries`, { query }),
    verify: verifyWebhook,
  };
}
