// The baseline: a bare Node SSE relay of the same upstream, in its own process.
// Per request it opens the upstream turn stream, decodes the bytes with one
// streaming TextDecoder into eventsource-parser, JSON-parses each frame, and
// writes each chunk on as an SSE `content` frame with an id: what a relay that
// understands events must do at least. It stores nothing. Frames parsed from
// one network read leave in one write, as the gateway's do.
import http from 'node:http';
import { createParser } from 'eventsource-parser';

const upstream = process.argv[2];
const server = http.createServer(async (req, res) => {
  const message = new URL(req.url, 'http://x').searchParams.get('message');
  const up = await fetch(`${upstream}/chat/turn/stream`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' },
    body: JSON.stringify({ persona: 'bench', username: 'bench', user_id: 'bench', message }),
  });
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
  for await (const chunk of up.body) {
    parser.feed(decoder.decode(chunk, { stream: true }));
    if (out) {
      res.write(out);
      out = '';
    }
  }
  res.end();
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
