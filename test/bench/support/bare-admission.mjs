// The admission baseline: a bare Node HTTP server on the gateway's Postgres
// that does the least a durable turn admission must. Per POST it verifies the
// HS256 JWT (jose, the gateway's library), then in one transaction records the
// user, inserts the turn row and its first event, and answers with the turn id;
// then, like a refusing backend, it stores error + end and finishes the row in
// a second transaction. No framework, no validation, no logging. Its own
// process; prints its port. Pool size as the gateway's default.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { jwtVerify } from 'jose';
import pg from 'pg';

const [databaseUrl, jwtSecret] = process.argv.slice(2);
const secret = new TextEncoder().encode(jwtSecret);
const pool = new pg.Pool({ connectionString: databaseUrl, max: 20 });

const ADMIT = `WITH u AS (INSERT INTO users (id, email) VALUES ($2, $3) ON CONFLICT DO NOTHING),
  t AS (INSERT INTO paliadin_turns (turn_id, user_id, session_id, backend, started_at, user_message) VALUES ($1, $2, $4, 'disabled', now(), $5) RETURNING turn_id)
  INSERT INTO paliadin_turn_events (turn_id, seq, kind, data) SELECT turn_id, 1, 'meta', $6 FROM t`;
const REFUSE = `WITH e AS (INSERT INTO paliadin_turn_events (turn_id, seq, kind, data)
    VALUES ($1, 2, 'error', '{"code":"backend_disabled","message":"no backend"}'), ($1, 3, 'end', '{}'))
  UPDATE paliadin_turns SET finished_at = now(), error_code = 'backend_disabled' WHERE turn_id = $1`;

const server = http.createServer(async (req, res) => {
  try {
    let raw = '';
    for await (const c of req) raw += c;
    const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    const { payload } = await jwtVerify(token ?? '', secret, { algorithms: ['HS256'], requiredClaims: ['exp', 'sub'] });
    const { user_message: message } = JSON.parse(raw);
    const turnId = randomUUID();
    await pool.query(ADMIT, [turnId, payload.sub, payload.email, randomUUID(), message, JSON.stringify({ turn_id: turnId })]);
    const body = JSON.stringify({ turn_id: turnId, sse_url: `/api/paliadin/stream/${turnId}` });
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }).end(body);
    await pool.query(REFUSE, [turnId]);
  } catch (e) {
    if (!res.headersSent) res.writeHead(500).end(String(e));
  }
});
server.keepAliveTimeout = 60_000;
// The backlog the gateway listens with, so a burst of new connections meets the same queue.
server.listen({ port: 0, host: '127.0.0.1', backlog: Number(process.env.BACKLOG ?? 511) }, () => process.stdout.write(`${server.address().port}\n`));
