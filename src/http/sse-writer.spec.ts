import { afterEach, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { SseWriter } from './sse-writer.js';

let server: http.Server | undefined;

/** A loopback server whose every request is handed to `handle` as an SSE response. */
async function serve(handle: (sse: SseWriter, res: http.ServerResponse) => void | Promise<void>): Promise<number> {
  server = http.createServer((_req, res) => void handle(new SseWriter(res, 60_000), res));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** The whole response body, as the client received it. */
const readAll = async (port: number): Promise<string> => (await fetch(`http://127.0.0.1:${port}/`)).text();

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

describe('SseWriter', () => {
  it('frames of one tick leave in one write, and multi-byte text arrives intact', async () => {
    const texts = ['Grüße', '😀 and 🎉', 'naïve '.repeat(500)];
    let writes = 0;
    const port = await serve((sse, res) => {
      const write = res.write.bind(res) as (chunk: unknown) => boolean;
      res.write = ((chunk: unknown) => {
        writes++;
        return write(chunk);
      }) as typeof res.write;
      texts.forEach((text, i) => sse.event(i + 1, 'content', { delta: text }));
      sse.end();
    });
    const body = await readAll(port);
    expect(body).toBe(texts.map((text, i) => `id: ${i + 1}\nevent: content\ndata: ${JSON.stringify({ delta: text })}\n\n`).join(''));
    expect(writes).toBe(1);
  });

  it('a tick of over a megabyte of frames arrives whole and in order', async () => {
    const texts = Array.from({ length: 100 }, (_, i) => `${i}:` + 'é€'.repeat(2_500));
    const port = await serve((sse) => {
      texts.forEach((text, i) => sse.event(i + 1, 'content', { delta: text }));
      sse.end();
    });
    const body = await readAll(port);
    expect(body).toBe(texts.map((text, i) => `id: ${i + 1}\nevent: content\ndata: ${JSON.stringify({ delta: text })}\n\n`).join(''));
  });

  it('a client that stops reading is cut off rather than buffered for without limit', async () => {
    const frame = 'x'.repeat(64 * 1024);
    let written = 0;
    let client: net.Socket | undefined;
    const cut = new Promise<number>((resolve) => {
      void serve(async (sse, res) => {
        // Up to 64 MB, one frame a turn of the loop, while the client reads nothing.
        while (!res.destroyed && written < 64 * 1024 * 1024) {
          sse.event(written, 'content', { delta: frame });
          written += frame.length;
          await nextTurn();
        }
        resolve(written);
      }).then((port) => {
        const socket = net.connect(port, '127.0.0.1', () => {
          socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
          socket.pause();
        });
        socket.on('error', () => undefined);
        client = socket;
      });
    });
    const total = await cut;
    // Paused, it would never read the server's close: a handle left open past the test.
    client?.destroy();
    // The kernel's socket buffers take some first; then 8 MB waiting in the writer is the limit.
    expect(total).toBeLessThan(64 * 1024 * 1024);
    expect(total).toBeGreaterThan(8 * 1024 * 1024);
  });
});
