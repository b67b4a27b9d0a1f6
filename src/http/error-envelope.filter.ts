import { Catch, HttpException, HttpStatus, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { isDbUnavailable } from '../database/db-errors.js';
import { RETRY_AFTER_S } from './busy.exception.js';

/** The one error shape clients see (docs/api.md). */
export interface ErrorEnvelope {
  statusCode: number;
  error: string;
  message: string;
  /** A stable code where the status alone does not say what happened (e.g. SESSION_EXISTS). */
  code?: string;
  /** REQUEST_RESOLVED: the request as it was resolved. */
  request?: object;
}

/**
 * Every error leaves as `{statusCode, error, message}`. HttpExceptions keep
 * their message (we write those for clients); a database that cannot be had
 * right now is a 503 with Retry-After; anything else is a 500 with a fixed
 * text, logged with the request id: no stack or internal text escapes.
 */
@Catch()
export class ErrorEnvelopeFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpError');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const req = host.switchToHttp().getRequest<Request>();
    const body = toEnvelope(exception, (err) =>
      this.logger.error({ err, requestId: req.headers['x-request-id'] }, `unhandled error on ${req.method} ${req.path}`),
    );
    // A streaming response (SSE) may already be under way: just end it.
    if (res.headersSent) {
      res.end();
      return;
    }
    if (body.statusCode === 503) res.setHeader('Retry-After', String(RETRY_AFTER_S));
    res.status(body.statusCode).json(body);
  }
}

export function toEnvelope(exception: unknown, onUnexpected: (err: unknown) => void = () => undefined): ErrorEnvelope {
  if (exception instanceof HttpException) {
    // Express's body parser reports bad JSON with the JSON engine's own wording; say it plainly.
    if ((exception.cause as { type?: string } | undefined)?.type === 'entity.parse.failed') {
      return { statusCode: 400, error: 'Bad Request', message: 'Request body is not valid JSON' };
    }
    const status = exception.getStatus();
    const response = exception.getResponse();
    const message =
      typeof response === 'string'
        ? response
        : Array.isArray((response as { message?: unknown }).message)
          ? (response as { message: string[] }).message.join('; ')
          : typeof (response as { message?: unknown }).message === 'string'
            ? (response as { message: string }).message
            : exception.message;
    const code = typeof response === 'object' && typeof (response as { code?: unknown }).code === 'string' ? (response as { code: string }).code : undefined;
    // A coded error of ours may carry what the client needs beside it (REQUEST_RESOLVED: the stored request).
    const detail = code && typeof (response as { request?: unknown }).request === 'object' ? { request: (response as { request: object }).request } : {};
    return { statusCode: status, error: reasonPhrase(status), message, ...(code ? { code } : {}), ...detail };
  }
  if (isDbUnavailable(exception)) {
    return { statusCode: 503, error: 'Service Unavailable', message: 'The server is busy or cannot reach its database; try again shortly' };
  }
  onUnexpected(exception);
  return { statusCode: 500, error: 'Internal Server Error', message: 'Internal server error' };
}

function reasonPhrase(status: number): string {
  const name = HttpStatus[status];
  if (!name) return 'Error';
  return name
    .toLowerCase()
    .split('_')
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join(' ');
}
