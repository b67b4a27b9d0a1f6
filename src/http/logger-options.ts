import type { Params } from 'nestjs-pino';
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
    serializers: {
      req: (req: { id: unknown; method: string; url: string; headers: unknown }) => ({
        id: req.id,
        method: req.method,
        url: redactUrl(req.url),
        headers: req.headers,
      }),
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
