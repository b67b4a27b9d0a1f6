import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AichatClient } from './aichat-client.js';
import { AichatError, envelopeError, networkError } from './aichat-errors.js';

type Behaviour = 'reset' | 'close' | 'cut-body';

/** What our client throws against a real server on 127.0.0.1 misbehaving this way. */
async function clientFailure(port: number, behaviour: Behaviour): Promise<unknown> {
  const client = new AichatClient(`http://127.0.0.1:${port}`, 'token');
  try {
    await client.json('POST', `/${behaviour}`, { message: 'x' }, AbortSignal.timeout(5_000));
  } catch (e) {
    return e;
  } finally {
    client.close();
  }
  throw new Error(`the client did not fail for ${behaviour}`);
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
    const client = new AichatClient(`http://127.0.0.1:${closedPort}`, 'token');
    const err = await client.json('POST', '/chat/turn', {}, AbortSignal.timeout(5_000)).catch((e: unknown) => e);
    client.close();
    expect(err).toMatchObject({ code: 'mriver_unreachable', message: expect.stringContaining('ECONNREFUSED') });
  });

  it.each([
    ['reset', 'ECONNRESET'],
    ['close', 'socket hang up'],
    ['cut-body', 'aborted'],
  ] as [Behaviour, string][])('the connection %s after the request went out: upstream_error, retryable (%s)', async (behaviour, detail) => {
    const e = await clientFailure(port, behaviour);
    expect(e).toBeInstanceOf(AichatError);
    expect(e).toMatchObject({ code: 'upstream_error', retryable: true, message: expect.stringContaining(detail) });
  });

  it('our own time limit, before or during the answer: timeout', async () => {
    const slow = http.createServer((req, res) => {
      req.resume();
      if (req.url === '/half') res.writeHead(200).write('{"resp');
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    const client = new AichatClient(`http://127.0.0.1:${(slow.address() as AddressInfo).port}`, 'token');
    try {
      for (const path of ['/silent', '/half']) {
        const err = await client.json('GET', path, undefined, AbortSignal.timeout(100)).catch((e: unknown) => e);
        expect({ path, err }).toMatchObject({ path, err: { code: 'timeout', retryable: true } });
      }
    } finally {
      client.close();
      slow.closeAllConnections();
      await new Promise((r) => slow.close(r));
    }
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
    // node:http puts the code on the error itself.
    const nodeFailed = (code: string, syscall?: string) => Object.assign(new Error(`${syscall ?? 'read'} ${code}`), { code, syscall });
    expect(networkError(nodeFailed('ENOTFOUND', 'getaddrinfo'), 'x').code).toBe('mriver_unreachable');
    expect(networkError(nodeFailed('ETIMEDOUT', 'connect'), 'x').code).toBe('mriver_unreachable');
    expect(networkError(nodeFailed('ERR_TLS_CERT_ALTNAME_INVALID'), 'x').code).toBe('shim_error');
    expect(networkError(nodeFailed('ECONNRESET'), 'x')).toMatchObject({
      code: 'upstream_error',
      retryable: true,
      message: expect.stringContaining('(ECONNRESET)'),
    });
    // A cancel's AbortError carries a numeric legacy code, which is no errno name.
    expect(networkError(new DOMException('This operation was aborted', 'AbortError'), 'x').code).toBe('upstream_error');
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
