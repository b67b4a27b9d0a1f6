import type { Params } from 'nestjs-pino';
import { stdSerializers } from 'pino-http';
import type { AppConfig } from '../config/app-config.js';
import { devLogStream } from './dev-log-line.js';
import { assignRequestId } from './request-id.js';

/** Credentials never reach the log: headers are redacted, `access_token` is cut from URLs. */
export function redactUrl(url: string): string {
  return url.replace(/([?&]access_token=)[^&#]*/gi, '$1[Redacted]');
}

/**
 * Production and tests log structured JSON (headers redacted); development
 * logs one readable line per record (devLogLine), not ~2 KB of headers per request.
 */
export function loggerOptions(config: AppConfig): Params {
  const options = {
    level: config.env.LOG_LEVEL,
    genReqId: assignRequestId,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
      censor: '[Redacted]',
    },
    // Our serializers take the raw request and response: pino-http's wrapping first ran its own request
    // serializer on every request (a getpeername system call, Express' query parsing, an object) only for
    // ours to pick four fields of it; a few percent of a crowd's admission CPU, whatever the log level.
    wrapSerializers: false,
    serializers: {
      req: (req: { id: unknown; method: string; originalUrl?: string; url: string; headers: unknown }) => ({
        id: req.id,
        method: req.method,
        url: redactUrl(req.originalUrl ?? req.url),
        headers: req.headers,
      }),
      res: stdSerializers.res,
      err: stdSerializers.err,
    },
    // Health probes and pings would drown everything else.
    autoLogging: { ignore: (req: { url?: string }) => req.url === '/health' },
    // Records made while a request runs carry its id; the request itself is written once, on its
    // completion record. A request's logger lives as long as what it started (a turn, a stream):
    // with the whole request in its bindings that was about 1 KB per live turn.
    quietReqLogger: true,
  };
  const verbose = ['debug', 'trace'].includes(config.env.LOG_LEVEL);
  return { pinoHttp: config.env.NODE_ENV === 'development' ? [options, devLogStream(verbose)] : options };
}
