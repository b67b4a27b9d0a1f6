import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AichatError, envelopeError, networkError } from './aichat-errors.js';

type Behaviour = 'reset' | 'close' | 'cut-body';

/** What node's fetch throws (or the body read throws) against a real server on 127.0.0.1 misbehaving this way. */
async function fetchFailure(port: number, behaviour: Behaviour): Promise<unknown> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/${behaviour}`, { method: 'POST', body: '{"message":"x"}' });
    await res.text();
  } catch (e) {
    return e;
  }
  throw new Error(`fetch did not fail for ${behaviour}`);
}

describe('classifying aichat failures by whether the request may have reached aichat', () => {
  let server: http.Server;
  let port = 0;
  let closedPort = 0;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      // Answered once the whole request arrived.
      req.resume();
      req.on('end', () => {
        if (req.url === '/reset') res.socket?.resetAndDestroy();
        else if (req.url === '/close') res.socket?.destroy();
        else {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.write('{"response":"hal');
          setImmediate(() => res.socket?.destroy());
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
    // A port nobody listens on: bind one, note it, let it go.
    const gone = http.createServer();
    await new Promise<void>((r) => gone.listen(0, '127.0.0.1', r));
    closedPort = (gone.address() as AddressInfo).port;
    await new Promise((r) => gone.close(r));
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('connection refused: never sent, mriver_unreachable', async () => {
    let err: unknown;
    try {
      await fetch(`http://127.0.0.1:${closedPort}/chat/turn`, { method: 'POST', body: '{}' });
    } catch (e) {
      err = e;
    }
    expect(networkError(err, 'POST /chat/turn')).toMatchObject({ code: 'mriver_unreachable', message: expect.stringContaining('ECONNREFUSED') });
  });

  it.each([
    ['reset', 'ECONNRESET'],
    ['close', 'UND_ERR_SOCKET'],
    ['cut-body', 'UND_ERR_SOCKET'],
  ] as [Behaviour, string][])('the connection %s after the request went out: upstream_error, retryable (%s)', async (behaviour, code) => {
    const e = await fetchFailure(port, behaviour);
    expect((e as { cause?: { code?: string } }).cause?.code).toBe(code);
    expect(networkError(e, 'POST /chat/turn')).toMatchObject({ code: 'upstream_error', retryable: true, message: expect.stringContaining(code) });
  });

  it('failures before a connection exists (DNS, connect timeout, TLS) are not sent; our own time limit is timeout; unknown is upstream_error', () => {
    const fetchFailed = (cause: object) => Object.assign(new TypeError('fetch failed'), { cause });
    expect(networkError(fetchFailed({ code: 'ENOTFOUND', syscall: 'getaddrinfo' }), 'x').code).toBe('mriver_unreachable');
    expect(networkError(fetchFailed({ code: 'EAI_AGAIN', syscall: 'getaddrinfo' }), 'x').code).toBe('mriver_unreachable');
    expect(networkError(fetchFailed({ code: 'UND_ERR_CONNECT_TIMEOUT' }), 'x').code).toBe('mriver_unreachable');
    expect(networkError(fetchFailed({ code: 'EHOSTUNREACH', syscall: 'connect' }), 'x').code).toBe('mriver_unreachable');
    expect(networkError(fetchFailed({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' }), 'x').code).toBe('shim_error');
    expect(networkError(fetchFailed({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }), 'x').code).toBe('shim_error');
    expect(networkError(new DOMException('The operation timed out.', 'TimeoutError'), 'x')).toMatchObject({ code: 'timeout', retryable: true });
    expect(networkError(fetchFailed({ code: 'UND_ERR_BODY_TIMEOUT' }), 'x')).toMatchObject({ code: 'upstream_error', retryable: true });
    expect(networkError(new Error('something else'), 'x')).toMatchObject({ code: 'upstream_error', retryable: true });
    const own = new AichatError('shim_error', 'already classified');
    expect(networkError(own, 'x')).toBe(own);
  });

  it('error envelopes are aichat’s definitive word (its timeout aside); a bare 5xx may come after aichat took the turn; a bare 4xx is a refusal', () => {
    const env = (code: string) => JSON.stringify({ error: { code, message: `says ${code}`, retryable: false } });
    expect(envelopeError(401, env('auth_failed'))).toMatchObject({ code: 'shim_auth_failed', status: 401 });
    expect(envelopeError(404, env('persona_unknown')).code).toBe('shim_error');
    expect(envelopeError(500, env('shim_error')).code).toBe('shim_error');
    expect(envelopeError(503, env('mriver_unreachable')).code).toBe('mriver_unreachable');
    expect(envelopeError(504, env('timeout')).code).toBe('timeout');
    const proxy = envelopeError(502, '<html><head><title>502 Bad Gateway</title></head>\r\n<body><center><h1>502 Bad Gateway</h1></center></body></html>');
    expect(proxy).toMatchObject({
      code: 'upstream_error',
      retryable: true,
      status: 502,
      message: 'aichat answered 502 without an error envelope (a proxy in front of it?): 502 Bad Gateway 502 Bad Gateway',
    });
    expect(envelopeError(504, '').code).toBe('upstream_error');
    expect(envelopeError(500, '{"error":{"message":"no code"}}').code).toBe('upstream_error');
    expect(envelopeError(403, '<html>Forbidden</html>')).toMatchObject({ code: 'shim_error', status: 403 });
    expect(envelopeError(413, '').code).toBe('shim_error');
  });
});
