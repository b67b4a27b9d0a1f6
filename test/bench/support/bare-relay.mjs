// The baseline: a bare Node SSE relay of the same upstream, in its own process.
// Per request it opens the upstream turn stream with node:http (as the gateway
// does; fetch's web streams are slower), decodes the bytes with one streaming
// TextDecoder into eventsource-parser, JSON-parses each frame, and writes each
// chunk on as an SSE `content` frame with an id: what a relay that understands
// events must do at least. It stores nothing. The frames parsed from one
// upstream read leave in one write.
import http from 'node:http';
import { createParser } from 'eventsource-parser';

const upstream = new URL(process.argv[2]);
const agent = new http.Agent({ keepAlive: true });

const server = http.createServer((req, res) => {
  const message = new URL(req.url, 'http://x').searchParams.get('message');
  const body = JSON.stringify({ persona: 'bench', username: 'bench', user_id: 'bench', message });
  const up = http.request({ host: upstream.hostname, port: upstream.port, path: '/chat/turn/stream', method: 'POST', agent }, (upRes) => {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache, no-transform' });
    let seq = 0;
    let out = '';
    const parser = createParser({
      onEvent: (m) => {
        const data = JSON.parse(m.data);
        if (data.type === 'chunk') out += `id: ${++seq}\nevent: content\ndata: ${JSON.stringify({ delta: data.content, streamed: true })}\n\n`;
        else if (data.type === 'done') out += `id: ${++seq}\nevent: end\ndata: {}\n\n`;
      },
    });
    const decoder = new TextDecoder();
    upRes.on('data', (chunk) => {
      parser.feed(decoder.decode(chunk, { stream: true }));
      if (out) {
        res.write(out);
        out = '';
      }
    });
    upRes.on('end', () => res.end());
  });
  up.setHeader('Content-Type', 'application/json');
  up.setHeader('Accept', 'text/event-stream');
  up.end(body);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
