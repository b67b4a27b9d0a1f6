import http from 'node:http';
import https from 'node:https';
import { resolveTarget, type LookupAll } from './webhook-targets.js';

export interface SendOutcome {
  /** The receiver's status code, when it answered. */
  status?: number;
  /** Why the attempt failed without an answer, or why its answer counts as a failure. */
  error?: string;
  /** From a `Retry-After` header, in milliseconds. */
  retryAfterMs?: number;
}

// What is read of a receiver's answer (and then dropped): enough to finish the exchange.
const MAX_ANSWER_BYTES = 64 * 1024;

/** `Retry-After` as seconds or an HTTP date, in milliseconds from now. */
export function retryAfterMs(header: string | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * POSTs one signed message. The host is resolved and checked here
 * (resolveTarget), and the connection goes to exactly the addresses that
 * passed: a name that resolves differently a moment later (DNS rebinding)
 * cannot slip a private address in between check and connect. Redirects are
 * not followed; nothing waits longer than `timeoutMs`.
 */
export async function sendWebhook(
  url: URL,
  body: string,
  headers: Record<string, string>,
  opts: { timeoutMs: number; allowPrivate: boolean; lookupAll?: LookupAll },
): Promise<SendOutcome> {
  const addresses = await resolveTarget(url.hostname, opts.allowPrivate, opts.lookupAll);
  if (typeof addresses === 'string') return { error: `not sent: ${addresses}` };
  const pinned = (_host: string, options: { all?: boolean }, cb: (...args: unknown[]) => void) => {
    if (options.all) cb(null, addresses);
    else cb(null, addresses[0].address, addresses[0].family);
  };
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<SendOutcome>((resolve) => {
    const req = client.request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'Paliadin-Webhooks/1' },
        lookup: pinned as unknown as typeof import('node:dns').lookup,
        signal: AbortSignal.timeout(opts.timeoutMs),
        agent: false,
      },
      (res) => {
        let read = 0;
        res.on('data', (c: Buffer) => {
          read += c.length;
          if (read > MAX_ANSWER_BYTES) res.destroy();
        });
        const status = res.statusCode ?? 0;
        const settle = () => {
          const location = res.headers.location;
          if (status >= 300 && status < 400) resolve({ status, error: `redirect not followed${location ? ` (to ${location.slice(0, 200)})` : ''}` });
          else resolve({ status, retryAfterMs: retryAfterMs(res.headers['retry-after']) });
        };
        res.on('end', settle);
        res.on('close', settle);
        res.on('error', settle);
      },
    );
    req.on('error', (e: NodeJS.ErrnoException) => {
      const timedOut = e.name === 'AbortError' || e.name === 'TimeoutError';
      resolve({ error: timedOut ? `no answer within ${opts.timeoutMs} ms` : `${e.code ?? 'error'}: ${e.message}` });
    });
    req.end(body);
  });
}
