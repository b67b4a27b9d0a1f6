/**
 * What a database error means for the caller. Postgres reports a SQLSTATE;
 * pg and its pool report connection trouble with plain Errors (and Node's
 * socket codes). TypeORM wraps query errors, keeping the original as
 * `driverError`.
 */
interface PgLikeError {
  code?: unknown;
  message?: unknown;
  driverError?: unknown;
}

function unwrap(e: unknown): PgLikeError {
  const err = (e ?? {}) as PgLikeError;
  return (err.driverError as PgLikeError | undefined) ?? err;
}

// This process's pool is gone (the app is shutting down): no retry can succeed.
const POOL_GONE = ['Driver not Connected', 'Cannot use a pool after calling end', 'database is not established', 'connection is not yet established'];

/**
 * Trying again gives the same answer: the statement itself is at fault (bad
 * data, constraint, syntax), or this process has closed its pool.
 */
export function isPermanentDbError(e: unknown): boolean {
  const err = unwrap(e);
  if (typeof err.code === 'string' && /^(22|23|42|2F|P0)/.test(err.code)) return true;
  const message = typeof err.message === 'string' ? err.message : '';
  return POOL_GONE.some((m) => message.includes(m));
}

// Node socket codes and pg's own wording for "no connection could be had or kept".
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const CONNECTION_MESSAGES = [
  'timeout exceeded when trying to connect',
  'Connection terminated',
  'Client has encountered a connection error',
  'Query read timeout',
  'sorry, too many clients',
];

/**
 * The database could not be reached or could not take the work now (no pool
 * slot in time, connection refused or lost, server shutting down or full):
 * a "try again shortly", never the request's fault.
 */
export function isDbUnavailable(e: unknown): boolean {
  const err = unwrap(e);
  const code = typeof err.code === 'string' ? err.code : '';
  if (SOCKET_CODES.has(code)) return true;
  // 08: connection exception; 53: insufficient resources; 57P0x: shutdown / cannot connect now; 57014: statement timeout.
  if (/^(08|53|57P0|57014)/.test(code)) return true;
  const message = typeof err.message === 'string' ? err.message : '';
  return CONNECTION_MESSAGES.some((m) => message.includes(m));
}
