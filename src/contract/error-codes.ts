/**
 * Stable error codes of the turn stream and the audit row (docs/events.md).
 * Clients localise them, so they are never renamed; new ones are additions.
 */
export const ERROR_CODES = [
  'upstream_error',
  'tmux_unavailable', // the local agent cannot start
  'mriver_unreachable', // the backend host cannot be reached
  'shim_auth_failed',
  'shim_error',
  'timeout',
  'upstream_silence',
  'jwt_mint_failed',
  'disabled',
  'interrupted', // the instance running the turn died
  'cancelled',
  'refused', // the model declined to answer (ACP driver)
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];
