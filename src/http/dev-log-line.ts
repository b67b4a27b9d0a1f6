import type { DestinationStream } from 'pino';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

interface LogRecord {
  level?: number;
  time?: number;
  msg?: string;
  context?: string;
  req?: { id?: string; method?: string; url?: string };
  res?: { statusCode?: number };
  responseTime?: number;
  err?: { message?: string; stack?: string };
}

/**
 * One pino record as one readable line, for development: a request is
 * `HH:MM:SS.mmm INFO  GET /url 200 12 ms (req <id>)`, anything else
 * `HH:MM:SS.mmm WARN  [Context] message`. Credentials never appear (the URL is
 * already redacted, headers are left out); an error's stack follows indented.
 */
export function devLogLine(r: LogRecord): string {
  const time = new Date(r.time ?? Date.now()).toISOString().slice(11, 23);
  const level = (LEVELS[r.level ?? 30] ?? String(r.level)).padEnd(5);
  const head = `${time} ${level}`;
  if (r.req?.method && r.res?.statusCode !== undefined) {
    const failed = r.err?.message ? ` ${r.err.message}` : '';
    return `${head} ${r.req.method} ${r.req.url} ${r.res.statusCode} ${r.responseTime ?? '?'} ms (req ${r.req.id})${failed}`;
  }
  const context = r.context ? `[${r.context}] ` : '';
  const line = `${head} ${context}${r.msg ?? ''}`;
  return r.err?.stack ? `${line}\n  ${r.err.stack.split('\n').join('\n  ')}` : line;
}

// Nest's boot chatter (a line per module and per route): in development only at LOG_LEVEL=debug.
const BOOT_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer']);

/** Where development logs go: stdout, one line per record. */
export function devLogStream(verbose: boolean): DestinationStream {
  return {
    write(chunk: string): void {
      let line: string;
      try {
        const record = JSON.parse(chunk) as LogRecord;
        if (!verbose && record.context && BOOT_CONTEXTS.has(record.context)) return;
        line = devLogLine(record);
      } catch {
        line = chunk.trimEnd();
      }
      process.stdout.write(`${line}\n`);
    },
  };
}
