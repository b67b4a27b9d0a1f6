import { hasScope, type Scope } from './scopes.js';

/** Who is calling: the user behind a JWT, or the user an API key was made for. */
export interface Principal {
  userId: string;
  email: string;
  /** The 8 hex digits that end this user's agent session names, theirs alone (users.agent_tag; src/contract/agent-session.ts). */
  agentTag: string;
  via: 'jwt' | 'api_key';
  /** API keys carry scopes; a user's own token may do everything a user may. */
  scopes: readonly Scope[] | 'user';
  apiKeyId?: string;
}

/** Whether the caller may administer (the admin routes, all users' webhooks): an owner's token, or a key with `paliadin:admin`. */
export function mayAdminister(p: Principal, isOwnerEmail: (email: string) => boolean): boolean {
  if (p.scopes === 'user') return isOwnerEmail(p.email);
  return hasScope(p.scopes, 'paliadin:admin');
}
