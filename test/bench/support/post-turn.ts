import http from 'node:http';
import { now } from './processes.js';

/** One keep-alive pool for the benches' POSTs. */
export const keepAlive = new http.Agent({ keepAlive: true, maxSockets: Infinity });

export interface Posted {
  status: number;
  turnId?: string;
  retryAfter?: string;
  /** A connection error (ECONNRESET, ECONNREFUSED...) instead of an answer. */
  error?: string;
  token: string;
  /** From sending to the whole answer. */
  ms: number;
}

/** POST /api/paliadin/turn; `fresh` opens a connection of its own for it, as a new user's browser does. */
export function postTurn(base: string, token: string, message: string, fresh = false): Promise<Posted> {
  const t0 = now();
  return new Promise((resolve) => {
    const failed = (e: NodeJS.ErrnoException) => resolve({ status: 0, error: e.code ?? e.message, token, ms: now() - t0 });
    const body = JSON.stringify({ user_message: message });
    const req = http.request(
      `${base}/api/paliadin/turn`,
      {
        method: 'POST',
        agent: fresh ? false : keepAlive,
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
      },
      (res) => {
        let raw = '';
        res.on('data', (c: Buffer) => (raw += c.toString()));
        res.on('end', () => {
          const turnId = res.statusCode === 200 ? (JSON.parse(raw) as { turn_id: string }).turn_id : undefined;
          resolve({ status: res.statusCode ?? 0, turnId, retryAfter: res.headers['retry-after'], token, ms: now() - t0 });
        });
        res.on('error', failed);
      },
    );
    req.on('error', failed);
    req.end(body);
  });
}
