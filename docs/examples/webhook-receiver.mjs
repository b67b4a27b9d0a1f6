// A webhook receiver in a few lines (docs/webhooks.md): verifies each
// delivery with the `standardwebhooks` package, the same one Paliadin signs
// with, and prints the event. Run: WEBHOOK_SECRET=whsec_... node webhook-receiver.mjs
import http from 'node:http';
import { Webhook } from 'standardwebhooks';

const wh = new Webhook(process.env.WEBHOOK_SECRET);
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    try {
      const event = wh.verify(body, req.headers); // throws unless the signature and timestamp are good
      console.log(JSON.stringify({ id: req.headers['webhook-id'], type: event.type, data: event.data }));
      res.writeHead(204).end();
    } catch (e) {
      console.error(`refused: ${e.message}`);
      res.writeHead(400).end();
    }
  });
});
server.listen(Number(process.env.PORT ?? 8787), '127.0.0.1', () => console.error(`listening on ${server.address().port}`));
