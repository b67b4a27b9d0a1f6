// The baseline: a bare Node SSE relay of the same upstream, in its own process.
// Per request it opens the upstream turn stream with node:http (as the gateway
// does; fetch's web streams are slower), decodes the bytes with one
// StringDecoder (as the gateway does; a streaming TextDecoder is slower) into
// eventsource-parser, JSON-parses each frame, and writes each chunk on as an
// SSE `content` frame with an id: what a relay that understands events must
// do at least. It stores nothing. The frames parsed from one
// upstream read leave in one write.
// Given a database URL too, `?durable=1` makes it the least a durable relay
// must do: a turn row first, then the events of each upstream read in one
// INSERT (its own transaction, committed) before they are written on. Its
// tables are its own, shaped like the gateway's, so that the gateway's
// janitor does not take its turns for orphans.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import { createParser } from 'eventsource-parser';
import pg from 'pg';

const upstream = new URL(process.argv[2]);
const agent = new http.Agent({ keepAlive: true });
const pool = process.argv[3] ? new pg.Pool({ connectionString: process.argv[3], max: 20 }) : undefined;

const TABLES = `CREATE TABLE IF NOT EXISTS bare_relay_turns (turn_id uuid PRIMARY KEY, started_at timestamptz NOT NULL DEFAULT now());
  CREATE TABLE IF NOT EXISTS bare_relay_events (turn_id uuid NOT NULL REFERENCES bare_relay_turns ON DELETE CASCADE,
    seq integer NOT NULL, kind text NOT NULL, data jsonb NOT NULL, PRIMARY KEY (turn_id, seq))`;
const OPEN_TURN = `INSERT INTO bare_relay_turns (turn_id) VALUES ($1)`;
const STORE = `INSERT INTO bare_relay_events (turn_id, seq, kind, data)
  SELECT $1, s, k, d FROM unnest($2::int[], $3::text[], $4::jsonb[]) AS e(s, k, d)`;
let tables;

/** Writes each read's frames on, after storing them first when `turnId` is given (in order: one store at a time). */
function writer(res, turnId) {
  let stored = Promise.resolve();
  return (out, rows, end) => {
    if (!turnId) {
      if (out) res.write(out);
      if (end) res.end();
      return;
    }
    stored = stored.then(async () => {
      if (rows.length > 0) await pool.query(STORE, [turnId, rows.map((r) => r.seq), rows.map((r) => r.kind), rows.map((r) => r.data)]);
      if (out) res.write(out);
      if (end) res.end();
    });
  };
}

const server = http.createServer(async (req, res) => {
  const params = new URL(req.url, 'http://x').searchParams;
  const message = params.get('message');
  let turnId;
  if (params.get('durable') && pool) {
    tables ??= pool.query(TABLES);
    await tables;
    turnId = randomUUID();
    await pool.query(OPEN_TURN, [turnId]);
  }
  const send = writer(res, turnId);
  const body = JSON.stringify({ persona: 'bench', username: 'bench', user_id: 'bench', message });
  const up = http.request({ host: upstream.hostname, port: upstream.port, path: '/chat/turn/stream', method: 'POST', agent }, (upRes) => {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache, no-transform' });
    let seq = 0;
    let out = '';
    let rows = [];
    const event = (kind, data) => {
      const json = JSON.stringify(data);
      out += `id: ${++seq}\nevent: ${kind}\ndata: ${json}\n\n`;
      if (turnId) rows.push({ seq, kind, data: json });
    };
    const parser = createParser({
      onEvent: (m) => {
        const data = JSON.parse(m.data);
        if (data.type === 'chunk') event('content', { delta: data.content, streamed: true });
        else if (data.type === 'done') event('end', {});
      },
    });
    const decoder = new StringDecoder('utf8');
    upRes.on('data', (chunk) => {
      parser.feed(decoder.write(chunk));
      if (out) {
        send(out, rows, false);
        out = '';
        rows = [];
      }
    });
    upRes.on('end', () => send('', [], true));
  });
  up.setHeader('Content-Type', 'application/json');
  up.setHeader('Accept', 'text/event-stream');
  up.end(body);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
