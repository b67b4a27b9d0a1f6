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

/**
 * aichat's error-envelope codes onto ours. An envelope is aichat's own
 * definitive word on the turn, so it maps to a code whose turns are never
 * looked up later (shim_auth_failed, mriver_unreachable, shim_error), with one
 * exception: aichat's `timeout` means it stopped waiting for the agent, not
 * that the agent stopped, so the answer may still land in its conversation
 * store; it maps to our `timeout`, which recovery asks about.
 */
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
 * A non-2xx answer. With aichat's `{"error": {code, message, retryable}}`
 * envelope: that code (see codeForEnvelope). Without one, something in front
 * of aichat answered: a bare 5xx (a proxy's 502/504 page, a crash) may come
 * after aichat took the turn, so it is `upstream_error`, retryable, and the
 * answer is looked for later; a bare 4xx is a refusal (`shim_error`).
 */
export function envelopeError(status: number, body: string): AichatError {
  let env: { error?: { code?: unknown; message?: unknown; retryable?: unknown } } | undefined;
  try {
    env = JSON.parse(body) as typeof env;
  } catch {
    env = undefined;
  }
  const e = env && typeof env === 'object' && env.error && typeof env.error === 'object' ? env.error : undefined;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  if (!code && status >= 500) {
    return new AichatError(
      'upstream_error',
      `aichat answered ${status} without an error envelope (a proxy in front of it?): ${snippet(body) || `HTTP ${status}`}`,
      true,
      status,
    );
  }
  const message = typeof e?.message === 'string' && e.message ? e.message : body.trim().slice(0, 200) || `HTTP ${status}`;
  const retryable = typeof e?.retryable === 'boolean' ? e.retryable : undefined;
  return new AichatError(codeForEnvelope(code), `aichat answered ${status}${code ? ` ${code}` : ''}: ${message}`, retryable, status);
}

// A connection that never got established: the request cannot have reached aichat.
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT']);
// TLS handshake failures: also before any byte of the request.
const TLS_FAILURE = /^ERR_TLS_|^ERR_SSL_|CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/;

interface RequestFailure {
  name?: string;
  message?: string;
  code?: unknown;
  syscall?: string;
  cause?: RequestFailure;
}

/**
 * A thrown request error (no HTTP answer) as an AichatError. What matters for
 * the turn is whether aichat may have received the request (node:http puts
 * {code, syscall} on the error itself, fetch in err.cause):
 * - never connected (refused, DNS, connect timeout, TLS handshake): the
 *   request was not sent, a definitive `mriver_unreachable` (`shim_error` for TLS);
 * - our own time limit ran out: `timeout`, the upstream may still answer;
 * - anything else (socket reset or closed, "other side closed", a body cut
 *   off, an unknown failure) happened after the request may have gone out:
 *   `upstream_error`, retryable, and the answer is looked for later.
 */
export function networkError(err: unknown, what: string): AichatError {
  if (err instanceof AichatError) return err;
  const e = (err ?? {}) as RequestFailure;
  if (e.name === 'TimeoutError') return new AichatError('timeout', `aichat did not answer ${what} in time`, true);
  // A DOMException's `code` is a legacy number, not an errno name.
  const code = [e.code, e.cause?.code].find((c): c is string => typeof c === 'string');
  const syscall = e.syscall ?? e.cause?.syscall;
  if ((code && NOT_CONNECTED.has(code)) || syscall === 'connect' || syscall === 'getaddrinfo') {
    return new AichatError('mriver_unreachable', `aichat cannot be reached (${code ?? syscall}) for ${what}`, true);
  }
  if (code && TLS_FAILURE.test(code)) return new AichatError('shim_error', `aichat's TLS handshake failed (${code}) for ${what}`);
  return new AichatError('upstream_error', `the connection to aichat broke during ${what}: ${failureDetail(err)}`, true);
}

/** What a request error says happened, with its errno name: "socket hang up (ECONNRESET)". */
export function failureDetail(err: unknown): string {
  const e = (err ?? {}) as RequestFailure;
  const code = [e.code, e.cause?.code].find((c): c is string => typeof c === 'string');
  return `${e.cause?.message ?? e.message ?? String(err)}${code ? ` (${code})` : ''}`;
}

/** A bare error page as one short line: tags and runs of whitespace collapsed. */
function snippet(body: string): string {
  return body
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 120);
}
