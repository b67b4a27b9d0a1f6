// Serves a recorded SSE response as fast as the socket takes it, for the
// client bench: with the gateway out of the way, the reader is what is measured.
// Its own process, so its work is not counted against the reader.
//   PUT  /recording   the body becomes the recording
//   GET  anything     the recording, in 64 KB writes, as the gateway's headers say
import http from 'node:http';

let recording = Buffer.alloc(0);

const server = http.createServer(async (req, res) => {
  if (req.method === 'PUT') {
    const parts = [];
    for await (const c of req) parts.push(c);
    recording = Buffer.concat(parts);
    return res.writeHead(204).end();
  }
  res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache, no-transform', Connection: 'keep-alive' });
  for (let i = 0; i < recording.length; i += 65_536) {
    if (!res.write(recording.subarray(i, i + 65_536))) await new Promise((r) => res.once('drain', r));
  }
  res.end();
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
