import { Catch, HttpException, HttpStatus, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';

/** The one error shape clients see (DESIGN section 3). */
export interface ErrorEnvelope {
  statusCode: number;
  error: string;
  message: string;
}

/**
 * Every error leaves as `{statusCode, error, message}`. HttpExceptions keep
 * their message (we write those for clients); anything else is a 500 with a
 * fixed text, logged with the request id: no stack or internal text escapes.
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
    res.status(body.statusCode).json(body);
  }
}

export function toEnvelope(exception: unknown, onUnexpected: (err: unknown) => void = () => undefined): ErrorEnvelope {
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    const message =
      typeof response === 'string'
        ? response
        : Array.isArray((response as { message?: unknown }).message)
          ? ((response as { message: string[] }).message).join('; ')
          : String((response as { message?: unknown }).message ?? exception.message);
    return { statusCode: status, error: reasonPhrase(status), message };
  }
  // Body-parser errors (bad JSON, too large) carry a status and are the client's fault.
  const status = (exception as { status?: unknown })?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const type = (exception as { type?: string }).type;
    const message = type === 'entity.parse.failed' ? 'Request body is not valid JSON' : type === 'entity.too.large' ? 'Request body is too large' : 'Bad request';
    return { statusCode: status, error: reasonPhrase(status), message };
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
