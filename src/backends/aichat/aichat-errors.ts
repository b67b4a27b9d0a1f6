import type { ErrorCode } from '../../contract/error-codes.js';

/** A failed call to aichat, already mapped to our error code (docs/aichat.md). */
export class AichatError extends Error {
  override readonly name = 'AichatError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly retryable?: boolean,
    /** The HTTP status when aichat answered at all. */
    readonly status?: number,
  ) {
    super(message);
  }
}

/** aichat's error-envelope codes onto ours. */
export function codeForEnvelope(code: string | undefined): ErrorCode {
  switch (code) {
    case 'auth_failed':
      return 'shim_auth_failed';
    case 'mriver_unreachable':
    case 'bootstrap_failed':
      return 'mriver_unreachable';
    case 'timeout':
      return 'timeout';
    default: // persona_unknown, shim_error, bad_request, anything new
      return 'shim_error';
  }
}

/**
 * A non-2xx answer: its `{"error": {code, message, retryable}}` envelope, a
 * definitive refusal under aichat's own code. A 5xx without one came from
 * something in front of aichat (a proxy's bare 502) after the request went
 * out: aichat may have it and finish it, so it is `upstream_error`, whose
 * turns are asked for their answer later.
 */
export function envelopeError(status: number, body: string): AichatError {
  let env: { error?: { code?: unknown; message?: unknown; retryable?: unknown } } | undefined;
  try {
    env = JSON.parse(body) as typeof env;
  } catch {
    env = undefined;
  }
  const e = env?.error;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const message = typeof e?.message === 'string' && e.message ? e.message : body.trim().slice(0, 200) || `HTTP ${status}`;
  const retryable = typeof e?.retryable === 'boolean' ? e.retryable : undefined;
  if (!code && status >= 500) return new AichatError('upstream_error', `aichat answered ${status} without its error envelope: ${message}`, true, status);
  return new AichatError(codeForEnvelope(code), `aichat answered ${status}${code ? ` ${code}` : ''}: ${message}`, retryable, status);
}

// Connection-level failures that mean "the host is not there" (node's fetch puts them in err.cause).
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * A thrown fetch error (no HTTP answer) as an AichatError. A connection that
 * could not be made is `mriver_unreachable`: the request never left. Any
 * other failure (reset, closed before a byte came back) happened after it
 * went out, so aichat may be answering it: `upstream_error`, retryable, and
 * the turn is asked for its answer later (recovery).
 */
export function networkError(err: unknown, what: string): AichatError {
  if (err instanceof AichatError) return err;
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return new AichatError('timeout', `aichat did not answer ${what} in time`, true);
  const code = e?.cause?.code;
  if (code && UNREACHABLE.has(code)) return new AichatError('mriver_unreachable', `aichat cannot be reached (${code}) for ${what}`, true);
  return new AichatError('upstream_error', `aichat ${what} failed: ${e?.cause?.message ?? e?.message ?? String(err)}`, true);
}
