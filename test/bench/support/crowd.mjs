// The burst's crowd, in a plain Node process of its own: 2,000 users who each
// POST a turn on a fresh connection, all at once, and read its stream as soon
// as the POST is answered. Read inside Jest, the crowd costs several times
// more CPU (a test's code runs in a vm context, where every global lookup goes
// through the context's interceptors; see turn-reader.mjs), and on a 2-core
// machine that CPU is taken from the gateway being measured.
// POST /burst {base, message, tokens: [token...]}: answers
//   {posts: [{status, error?, ms}], reads: [{status, chunks: [index], latencies: [ms], ended}], mostOpen}
// where a chunk's latency is its arrival minus the send time the upstream
// stamped into it (upstream.mjs: a content delta is `<index>:<send time> `).
// POST /read {url, token?, post?}: one stream read and timed the same way, for
// the latency runs: the gateway's, the upstream's own (`post`: its body) or the
// bare relay's. Read inside Jest, a collection or a compilation of the test
// process (its heap full of the throughput rounds' reads) counted as the
// gateway's latency: up to 16 ms of loop delay in a run, 75-87 ms once.
import http from 'node:http';
import { createParser } from 'eventsource-parser';

const now = () => performance.timeOrigin + performance.now();
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });

function post(base, token, message, t0) {
  return new Promise((resolve) => {
    const body = JSON.stringify({ user_message: message });
    const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) };
    const failed = (e) => resolve({ status: 0, error: e.code ?? e.message, ms: now() - t0 });
    // agent: false, a connection of its own, as a new user's browser opens.
    const req = http.request(`${base}/api/paliadin/turn`, { method: 'POST', agent: false, headers }, (res) => {
      let raw = '';
      res.on('data', (c) => (raw += c));
      res.on('end', () => {
        const turnId = res.statusCode === 200 ? JSON.parse(raw).turn_id : undefined;
        resolve({ status: res.statusCode, turnId, ms: now() - t0 });
      });
      res.on('error', failed);
    });
    req.on('error', failed);
    req.end(body);
  });
}

/**
 * Reads one stream to its end: the gateway's (`content` deltas, `end`) or the
 * upstream's own (unnamed `chunk` and `done` frames; `post`: its body). A
 * broken connection resolves too, with what was read and `error`.
 */
function read({ url, token, post: body }) {
  return new Promise((resolve) => {
    const out = { status: 0, chunks: [], latencies: [], ended: false };
    const failed = (e) => resolve({ ...out, error: e.code ?? e.message });
    const headers = { Accept: 'text/event-stream' };
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body) headers['Content-Type'] = 'application/json';
    const req = http.request(url, { method: body ? 'POST' : 'GET', headers, agent }, (res) => {
      out.status = res.statusCode;
      const decoder = new TextDecoder();
      const take = (text) => {
        const colon = text.indexOf(':');
        out.chunks.push(Number(text.slice(0, colon)));
        out.latencies.push(now() - Number(text.slice(colon + 1)));
      };
      const parser = createParser({
        onEvent: (m) => {
          if (m.event === 'end') out.ended = true;
          else if (m.event === 'content') take(JSON.parse(m.data).delta);
          else if (m.event === undefined) {
            const data = JSON.parse(m.data);
            if (data.type === 'chunk') take(data.content);
            else if (data.type === 'done') out.ended = true;
          }
        },
      });
      res.on('data', (c) => parser.feed(decoder.decode(c, { stream: true })));
      res.on('end', () => resolve(out));
      res.on('error', failed);
    });
    req.on('error', failed);
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

const server = http.createServer(async (req, res) => {
  let raw = '';
  for await (const c of req) raw += c;
  try {
    if (req.url === '/read') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(await read(JSON.parse(raw))));
      return;
    }
    const { base, message, tokens } = JSON.parse(raw);
    let open = 0;
    let mostOpen = 0;
    const t0 = now();
    const turns = await Promise.all(
      tokens.map(async (token) => {
        const p = await post(base, token, message, t0);
        if (!p.turnId) return { post: p };
        mostOpen = Math.max(mostOpen, ++open);
        const r = await read({ url: `${base}/api/paliadin/stream/${p.turnId}`, token });
        open--;
        return { post: p, read: r };
      }),
    );
    const out = { posts: turns.map((t) => t.post), reads: turns.flatMap((t) => (t.read ? [t.read] : [])), mostOpen };
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(out));
  } catch (e) {
    res.writeHead(500).end(String(e?.stack ?? e));
  }
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
