// The client bench's reader, in a plain Node process of its own: Jest runs a
// test's code inside a vm context, where every lookup of a global (Number,
// JSON, ...) goes through the context's interceptors and costs about ten
// times what it costs in Node or a browser; read there, the client would be
// charged for that. It reads with one of two readers, the same way each time:
//   own     node:http, one streaming TextDecoder into eventsource-parser, JSON.parse of each event
//   client  @paliadin/client's turns.events
// POST /read {reader, base, turns: [{token, turnId} | {token, message}]}: for
// each turn at once, POSTs it first when given a message (the same request
// whichever reader reads it), then reads its stream to the end. Answers
// {ms, cpuMs, reads: [{chunks, inOrder, ended}]}: wall and CPU time from the
// first POST or read to the last event.
import http from 'node:http';
import { createClient } from '@paliadin/client';
import { createParser } from 'eventsource-parser';

const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });

/** A content delta is `<index>:<send time> ` (upstream.mjs): checks the index is the next one. */
function take(out, delta) {
  if (delta === undefined) return;
  if (Number(delta.slice(0, delta.indexOf(':'))) !== out.chunks) out.inOrder = false;
  out.chunks++;
}

const readers = {
  own: (base, token, turnId) =>
    new Promise((resolve, reject) => {
      const out = { chunks: 0, inOrder: true, ended: false };
      const headers = { Accept: 'text/event-stream', Authorization: `Bearer ${token}` };
      const req = http.request(`${base}/api/paliadin/stream/${turnId}`, { headers, agent }, (res) => {
        if (res.statusCode !== 200) return reject(new Error(`stream answered ${res.statusCode}`));
        const decoder = new TextDecoder();
        const parser = createParser({
          onEvent: (m) => {
            const data = JSON.parse(m.data);
            if (m.event === 'content') take(out, data.delta);
            else if (m.event === 'end') out.ended = true;
          },
        });
        res.on('data', (c) => parser.feed(decoder.decode(c, { stream: true })));
        res.on('end', () => resolve(out));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    }),
  client: async (base, token, turnId) => {
    const out = { chunks: 0, inOrder: true, ended: false };
    for await (const ev of createClient({ baseUrl: base, token }).turns.events(turnId)) {
      if (ev.event === 'content') take(out, ev.data.delta);
      else if (ev.event === 'end') out.ended = true;
    }
    return out;
  },
};

function postTurn(base, token, message) {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ user_message: message });
    const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) };
    const req = http.request(`${base}/api/paliadin/turn`, { method: 'POST', agent, headers }, (res) => {
      let raw = '';
      res.on('data', (c) => (raw += c));
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(raw).turn_id) : reject(new Error(`POST turn answered ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const server = http.createServer(async (req, res) => {
  let raw = '';
  for await (const c of req) raw += c;
  try {
    const { reader, base, turns } = JSON.parse(raw);
    const read = readers[reader];
    const c0 = cpuMs();
    const t0 = performance.now();
    const reads = await Promise.all(turns.map(async (t) => read(base, t.token, t.turnId ?? (await postTurn(base, t.token, t.message)))));
    const out = { ms: performance.now() - t0, cpuMs: cpuMs() - c0, reads };
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(out));
  } catch (e) {
    res.writeHead(500).end(String(e?.stack ?? e));
  }
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
