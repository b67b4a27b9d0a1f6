import { describe, expect, it } from '@jest/globals';
import { PassThrough, Readable } from 'node:stream';
import { readTurnStream, type AichatStreamEvent } from './aichat-stream.js';

const frames = [
  ': keep-alive comment\n\n',
  'data: {"type":"conversation","conversation_id":"c-1"}\n\n',
  'event: heartbeat\ndata: {"elapsed_seconds": 5}\n\n',
  'data: {"type":"chunk","content":"Grüße 👋 "}\n\n',
  'data: {"type":"mystery","x":1}\n\n',
  'data: {"type":"chunk","content":"aus Köln"}\n\n',
  'data: {"type":"meta","meta":{"used_tools":["a"],"rows_seen":["1","zwei","3"],"classifier_tag":"t"}}\n\n',
  'data: {"type":"done","conversation_id":"c-1","response":"Grüße 👋 aus Köln","pane_spawned":true}\n\n',
].join('');

const expected: AichatStreamEvent[] = [
  { type: 'conversation', conversationId: 'c-1' },
  { type: 'heartbeat', elapsedSeconds: 5 },
  { type: 'chunk', text: 'Grüße 👋 ' },
  { type: 'chunk', text: 'aus Köln' },
  { type: 'meta', meta: { usedTools: ['a'], rowsSeen: [1, 3], classifierTag: 't' } },
  { type: 'conversation', conversationId: 'c-1' },
  { type: 'pane_spawned' },
  { type: 'done', response: 'Grüße 👋 aus Köln' },
];

function body(...parts: Uint8Array[]): Readable {
  return Readable.from(
    parts.map((p) => Buffer.from(p)),
    { objectMode: false },
  );
}

async function collect(stream: Readable): Promise<AichatStreamEvent[]> {
  const out: AichatStreamEvent[] = [];
  await readTurnStream(stream, (events) => {
    out.push(...events);
    return false;
  });
  return out;
}

describe('reading the aichat turn stream', () => {
  it('gives the same events wherever the bytes are split (every boundary, mid-UTF-8 included)', async () => {
    const bytes = new TextEncoder().encode(frames);
    for (let i = 0; i <= bytes.length; i++) {
      expect(await collect(body(bytes.subarray(0, i), bytes.subarray(i)))).toEqual(expected);
    }
  });

  it('byte by byte, and with CRLF or CR-only line endings', async () => {
    const bytes = new TextEncoder().encode(frames);
    expect(await collect(body(...Array.from(bytes, (b) => new Uint8Array([b]))))).toEqual(expected);
    expect(await collect(body(new TextEncoder().encode(frames.replace(/\n/g, '\r\n'))))).toEqual(expected);
    expect(await collect(body(new TextEncoder().encode(frames.replace(/\n/g, '\r'))))).toEqual(expected);
  });

  it('a leading byte order mark is dropped, split or whole; bytes that are not UTF-8 become U+FFFD', async () => {
    const first = 'data: {"type":"chunk","content":"a"}\n\n';
    const bytes = new TextEncoder().encode(`\uFEFF${first}`);
    expect(await collect(body(bytes))).toEqual([{ type: 'chunk', text: 'a' }]);
    expect(await collect(body(bytes.subarray(0, 1), bytes.subarray(1, 2), bytes.subarray(2)))).toEqual([{ type: 'chunk', text: 'a' }]);
    const bad = Uint8Array.of(...new TextEncoder().encode('data: {"type":"chunk","content":"a'), 0xff, ...new TextEncoder().encode('b"}\n\n'));
    expect(await collect(body(bad))).toEqual([{ type: 'chunk', text: 'a\uFFFDb' }]);
  });

  it('a malformed frame rejects with upstream_error after the events before it, and closes the stream', async () => {
    const out: AichatStreamEvent[] = [];
    const stream = body(new TextEncoder().encode('data: {"type":"chunk","content":"a"}\n\ndata: {nope\n\ndata: {"type":"chunk","content":"b"}\n\n'));
    await expect(
      readTurnStream(stream, (events) => {
        out.push(...events);
        return false;
      }),
    ).rejects.toMatchObject({ code: 'upstream_error', message: expect.stringContaining('malformed data frame') });
    expect(out).toEqual([{ type: 'chunk', text: 'a' }]);
    expect(stream.destroyed).toBe(true);
  });

  it('stops reading, and closes the stream without an error, once the caller has what it needs', async () => {
    const seen: AichatStreamEvent[][] = [];
    const stream = new PassThrough();
    const read = readTurnStream(stream, (events) => {
      seen.push(events);
      return events.some((e) => e.type === 'done');
    });
    stream.write('data: {"type":"chunk","content":"a"}\n\n');
    stream.write('data: {"type":"done","response":"a"}\n\ndata: {"type":"chunk","content":"after"}\n\n');
    await read;
    expect(seen).toEqual([
      [{ type: 'chunk', text: 'a' }],
      [
        { type: 'done', response: 'a' },
        { type: 'chunk', text: 'after' },
      ],
    ]);
    // A stream that stays open is closed within the same turn of the loop.
    await new Promise((r) => setImmediate(r));
    expect(stream.destroyed).toBe(true);
    expect(stream.errored).toBeNull();
  });

  it('a stream that ends right after what the caller needed ends on its own: nothing more is handed on, nothing is destroyed with an error', async () => {
    const seen: AichatStreamEvent[][] = [];
    const stream = new PassThrough({ autoDestroy: false });
    const read = readTurnStream(stream, (events) => {
      seen.push(events);
      return events.some((e) => e.type === 'done');
    });
    // The tail frame is only complete at the end of the stream: read after `done`, it must not be handed on.
    stream.end('data: {"type":"done","response":"a"}\n\ndata: {"type":"chunk","content":"tail"}\n');
    await expect(read).resolves.toBe(true);
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual([[{ type: 'done', response: 'a' }]]);
    expect({ ended: stream.readableEnded, destroyed: stream.destroyed, errored: stream.errored }).toEqual({ ended: true, destroyed: false, errored: null });
  });

  it('a connection that breaks rejects with its error; one closed before its end, with a premature close', async () => {
    const broken = new PassThrough();
    const read = readTurnStream(broken, () => false);
    broken.write('data: {"type":"chunk","content":"a"}\n\n');
    broken.destroy(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    await expect(read).rejects.toMatchObject({ code: 'ECONNRESET' });

    const cut = new PassThrough();
    const cutRead = readTurnStream(cut, () => false);
    cut.write('data: {"type":"chunk","content":"a"}\n\n');
    cut.destroy();
    await expect(cutRead).rejects.toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });
  });
});
