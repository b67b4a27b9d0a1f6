import { adminApi } from './admin.js';
import { Http, type ClientOptions } from './http.js';
import { requestsApi } from './requests.js';
import { sessionsApi } from './sessions.js';
import { turnsApi } from './turns.js';
import { webhooksApi } from './webhooks.js';

/**
 * A client of one Paliadin service, as one user (a JWT) or one integration
 * (an API key):
 *
 *   const paliadin = createClient({ baseUrl: 'http://localhost:3000', token });
 *   const { turn_id } = await paliadin.turns.create({ user_message: 'Hello' });
 *   console.log(await paliadin.turns.answer(turn_id));
 */
export function createClient(options: ClientOptions) {
  const http = new Http(options);
  return {
    turns: turnsApi(http),
    sessions: sessionsApi(http),
    requests: requestsApi(http),
    webhooks: webhooksApi(http),
    admin: adminApi(http),
  };
}

export type PaliadinClient = ReturnType<typeof createClient>;
