import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { retryAfterMs, sendWebhook } from './webhook-sender.js';
import { isPrivateAddress, resolveTarget, type LookupAll } from './webhook-targets.js';

describe('webhook targets and sending', () => {
  const seen: { host?: string; body: string }[] = [];
  let server: http.Server;
  let port = 0;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ host: req.headers.host, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  it('DNS rebinding: a name that was public at creation and resolves to loopback at delivery is not sent to', async () => {
    let answers = 0;
    // A resolver that answers a public address first, then this host (what a rebinding attacker's DNS does).
    const rebinding: LookupAll = () => Promise.resolve([{ address: answers++ === 0 ? '93.184.216.34' : '127.0.0.1', family: 4 }]);
    expect(await resolveTarget('hooks.example', false, rebinding)).toEqual([{ address: '93.184.216.34', family: 4 }]);
    const before = seen.length;
    const out = await sendWebhook(new URL(`http://hooks.example:${port}/hook`), '{}', {}, { timeoutMs: 1000, allowPrivate: false, lookupAll: rebinding });
    expect(out).toEqual({ error: expect.stringMatching(/^not sent: url points at a private, loopback or link-local address \(127\.0\.0\.1\)/) });
    expect(seen.length).toBe(before);
  });

  it('the connection goes to exactly the address that was checked, under the URL’s own host name', async () => {
    const once: LookupAll = () => Promise.resolve([{ address: '127.0.0.1', family: 4 }]);
    const out = await sendWebhook(
      new URL(`http://hooks.example:${port}/hook`),
      '{"a":1}',
      { 'webhook-id': 'msg_1' },
      { timeoutMs: 1000, allowPrivate: true, lookupAll: once },
    );
    expect(out.status).toBe(204);
    expect(seen.at(-1)).toEqual({ host: `hooks.example:${port}`, body: '{"a":1}' });
  });

  it('one private address among public ones refuses the name', async () => {
    const mixed: LookupAll = () =>
      Promise.resolve([
        { address: '93.184.216.34', family: 4 },
        { address: '10.0.0.5', family: 4 },
      ]);
    await expect(resolveTarget('mixed.example', false, mixed)).resolves.toMatch(/10\.0\.0\.5/);
  });

  it.each([
    ['127.0.0.1', true],
    ['10.0.0.1', true],
    ['100.64.1.1', true],
    ['169.254.169.254', true],
    ['192.168.0.1', true],
    ['::1', true],
    ['fd12::1', true],
    ['fe80::1', true],
    ['::ffff:10.0.0.1', true],
    ['93.184.216.34', false],
    ['2606:2800:220:1::1', false],
  ])('%s is private: %s', (address, expected) => {
    expect(isPrivateAddress(address)).toBe(expected);
  });

  it('Retry-After as seconds or as a date', () => {
    expect(retryAfterMs('120')).toBe(120_000);
    expect(retryAfterMs(new Date(Date.UTC(2030, 0, 1, 0, 0, 30)).toUTCString(), Date.UTC(2030, 0, 1))).toBe(30_000);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(undefined)).toBeUndefined();
  });
});
