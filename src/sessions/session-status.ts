/** A session's statuses (docs/sessions.md): active until checked in (ended), expired by the janitor, or force-terminated by an admin. */
export const SESSION_STATUSES = ['active', 'ended', 'expired', 'terminated'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];
