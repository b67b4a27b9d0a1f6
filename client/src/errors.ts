import type { Answer } from './stream-transport.js';

/**
 * Every failure the client reports. `status` is the HTTP status (0 when no
 * answer came: the network, or a stream that could not be had back); `code`
 * the service's stable code where it gives one (`SESSION_EXISTS`,
 * `REQUEST_RESOLVED`, a turn's error code such as `timeout`), or the
 * client's own: `NETWORK` (no answer), `LOST` (a turn's answer will not
 * come), `BAD_SIGNATURE` (webhooks.verify). `requestId` is the answer's
 * X-Request-Id, the one the service logged.
 */
export class PaliadinError extends Error {
  override readonly name = 'PaliadinError';

  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
    readonly requestId?: string,
    /** The whole error body, where the service sent one (REQUEST_RESOLVED carries `request`). */
    readonly body?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** The error of a non-2xx answer, from its envelope `{statusCode, error, message, code?}`. */
  static async fromResponse(res: Answer): Promise<PaliadinError> {
    const requestId = res.headers.get('x-request-id') ?? undefined;
    const text = await res.text().catch(() => '');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const envelope = (body ?? {}) as { message?: unknown; code?: unknown };
    const message = Array.isArray(envelope.message)
      ? envelope.message.join('; ')
      : typeof envelope.message === 'string'
        ? envelope.message
        : text.trim().slice(0, 200) || `HTTP ${res.status}`;
    return new PaliadinError(res.status, typeof envelope.code === 'string' ? envelope.code : undefined, message, requestId, body);
  }
}
