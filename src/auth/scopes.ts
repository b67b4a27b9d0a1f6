/**
 * API-key scopes (docs/api.md), `resource:action`. The one list; the
 * guard, the CLI and Swagger import it from here.
 */
export const SCOPES = [
  'paliadin:turn', // start, cancel turns; reset the agent session
  'paliadin:read', // stream, history, turn rows, recovery
  'paliadin:admin', // admin stats and the all-users turn list
  'sessions:read',
  'sessions:execute',
  'admin', // every scope
] as const;
export type Scope = (typeof SCOPES)[number];

export function isScope(s: string): s is Scope {
  return (SCOPES as readonly string[]).includes(s);
}

/** `admin` implies every other scope. */
export function hasScope(granted: readonly Scope[], needed: Scope): boolean {
  return granted.includes('admin') || granted.includes(needed);
}
