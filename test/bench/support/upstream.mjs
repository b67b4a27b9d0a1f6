// A fast aichat upstream for the benches (docs/aichat.md): its own process, so
// its work is not counted against the relays it feeds. The turn's message says
// what to send:
//   fast:<n>          n chunks as fast as the socket takes them (pre-rendered, large writes)
//   paced:<n>:<ms>    n chunks, one every <ms> ms, each stamped with its send time
// A chunk's content is `<index>:<send time in ms, fractional> `.
import http from 'node:http';

const now = () => performance.timeOrigin + performance.now();
const frame = (o) => `data: ${JSON.stringify(o)}\n\n`;

const server = http.createServer(async (req, res) => {
  let raw = '';
  for await (const c of req) raw += c;
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/chat/health')
    return res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":true,"claude_reachable":true,"tmux_reachable":true}');
  if (url.pathname === '/chat/conversations') return res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"conversations":[]}');
  if (url.pathname !== '/chat/turn/stream') return res.writeHead(404).end();
  const [mode, n, ms] = JSON.parse(raw).message.split(':');
  const count = Number(n);
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
  res.write(frame({ type: 'conversation', conversation_id: 'bench' }));
  const done = () => res.end(frame({ type: 'done', response: '', duration_ms: 1 }));
  if (mode === 'fast') {
    const t = now().toFixed(3);
    for (let i = 0; i < count; i += 1000) {
      let block = '';
      for (let j = i; j < Math.min(i + 1000, count); j++) block += frame({ type: 'chunk', content: `${j}:${t} ` });
      if (!res.write(block)) await new Promise((r) => res.once('drain', r));
    }
    return done();
  }
  let i = 0;
  const timer = setInterval(() => {
    res.write(frame({ type: 'chunk', content: `${i}:${now().toFixed(3)} ` }));
    if (++i >= count) {
      clearInterval(timer);
      done();
    }
  }, Number(ms));
  res.on('close', () => clearInterval(timer));
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
