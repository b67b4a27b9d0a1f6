import type { Http } from './http.js';
import type { QueryOf, ResultOf } from './types.js';

/** For owners and keys with paliadin:admin; everyone else gets a 404 PaliadinError. */
export function adminApi(http: Http) {
  return {
    stats: () => http.json<ResultOf<'/api/admin/paliadin/stats', 'get'>>('GET', '/api/admin/paliadin/stats'),
    turns: (query: QueryOf<'/api/admin/paliadin/turns', 'get'> = {}) =>
      http.json<ResultOf<'/api/admin/paliadin/turns', 'get'>>('GET', '/api/admin/paliadin/turns', { query }),
    failingWebhooks: () => http.json<ResultOf<'/api/admin/webhooks/failing', 'get'>>('GET', '/api/admin/webhooks/failing'),
  };
}
