import { describe, expect, it } from '@jest/globals';
import { devLogLine } from './dev-log-line.js';

const time = Date.UTC(2026, 0, 2, 3, 4, 5, 678);

describe('development log lines', () => {
  it('a request is one line: method, URL, status, time, request id; no headers', () => {
    const line = devLogLine({
      level: 30,
      time,
      req: { id: 'r-1', method: 'GET', url: '/api/paliadin/history?session=x', headers: { authorization: 'Bearer secret' } } as never,
      res: { statusCode: 200 },
      responseTime: 12,
      msg: 'request completed',
    });
    expect(line).toBe('03:04:05.678 INFO  GET /api/paliadin/history?session=x 200 12 ms (req r-1)');
  });

  it('other records: level, context, message; an error stack follows indented', () => {
    expect(devLogLine({ level: 40, time, context: 'LocalBackend', msg: 'demo model' })).toBe('03:04:05.678 WARN  [LocalBackend] demo model');
    expect(devLogLine({ level: 50, time, msg: 'boom', err: { stack: 'Error: x\n    at y' } })).toBe('03:04:05.678 ERROR boom\n  Error: x\n      at y');
  });
});
