import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the model does with one request: say something, call tools (write the answer file), or both. */
export interface ModelReply {
  /** A Write tool call: Claude Code writes `content` to `path`. */
  write?: { path: string; content: string };
  /** Any other tool calls, after the text and the Write. */
  tools?: { name: string; input: Record<string, unknown> }[];
  text?: string;
  /** The model's reasoning before its answer (a thinking block, streamed word by word). */
  thinking?: string;
  /** Stream the text word by word, this long between words (the demo model; tests of a slow answer). */
  wordDelayMs?: number;
  /** Wait before answering (tests: late answers). */
  delayMs?: number;
  /** Answer only once this settles (tests: hold a turn until another one arrives). */
  hold?: Promise<unknown>;
  /**
   * Stream the text's last word only once this settles (tests: a reader that
   * saw the first words while this waits got them as the model streamed).
   */
  holdLastWord?: Promise<unknown>;
}

export interface ModelRequest {
  body: { model?: string; stream?: boolean; system?: unknown; messages?: Message[]; tools?: { name: string }[] };
  /** The text of the newest user message (its tool results excluded). */
  userText: string;
  /**
   * The last text block of the newest user message: what the person wrote,
   * without the context blocks Claude Code puts before it.
   */
  userMessage: string;
  /** True when the newest user message carries tool results: the model's tool call ran. */
  afterToolResult: boolean;
}

interface Message {
  role: string;
  content: string | { type: string; text?: string; content?: unknown }[];
}

/**
 * A scripted stand-in for the Anthropic Messages API (streaming SSE with text
 * and tool_use blocks), for Claude Code pointed at it with ANTHROPIC_BASE_URL.
 * The tests use it as their model; `npm start` uses it as the demo model when
 * no real credentials exist. `reply` decides each answer.
 */
export class ScriptedModelServer {
  readonly requests: ModelRequest[] = [];
  private server?: http.Server;

  constructor(public reply: (req: ModelRequest) => ModelReply) {}

  async start(port = 0): Promise<string> {
    const server = http.createServer((req, res) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.method !== 'POST' || !req.url?.startsWith('/v1/messages')) {
      res.writeHead(req.method === 'HEAD' ? 200 : 404, { 'Content-Type': 'application/json' }).end(req.method === 'HEAD' ? undefined : '{}');
      return;
    }
    let raw = '';
    for await (const chunk of req) raw += String(chunk);
    let body: ModelRequest['body'];
    try {
      body = JSON.parse(raw) as ModelRequest['body'];
    } catch {
      res
        .writeHead(400, { 'Content-Type': 'application/json' })
        .end(JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message: 'bad json' } }));
      return;
    }
    if (req.url.startsWith('/v1/messages/count_tokens')) {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ input_tokens: 10 }));
      return;
    }
    const request = describe(body);
    this.requests.push(request);
    // Claude Code's side requests (titles, topic checks) carry no tools: answer them plainly.
    const reply: ModelReply = body.tools?.length ? this.reply(request) : { text: 'Paliadin' };
    if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
    if (reply.hold) await reply.hold;
    const blocks = toBlocks(reply);
    if (body.stream) await streamReply(res, body.model ?? 'scripted', blocks, reply);
    else res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(message(body.model ?? 'scripted', blocks)));
  }
}

type Block =
  { type: 'text'; text: string } | { type: 'thinking'; thinking: string } | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

function describe(body: ModelRequest['body']): ModelRequest {
  const last = [...(body.messages ?? [])].reverse().find((m) => m.role === 'user');
  const parts = typeof last?.content === 'string' ? [{ type: 'text', text: last.content }] : (last?.content ?? []);
  const texts = parts.filter((p) => p.type === 'text').map((p) => p.text ?? '');
  return {
    body,
    userText: texts.join('\n'),
    userMessage: texts.at(-1) ?? '',
    afterToolResult: parts.some((p) => p.type === 'tool_result'),
  };
}

function toBlocks(reply: ModelReply): Block[] {
  const blocks: Block[] = [];
  if (reply.thinking) blocks.push({ type: 'thinking', thinking: reply.thinking });
  if (reply.text) blocks.push({ type: 'text', text: reply.text });
  const toolUse = (name: string, input: Record<string, unknown>): Block => ({
    type: 'tool_use',
    id: `toolu_${randomUUID().replace(/-/g, '').slice(0, 20)}`,
    name,
    input,
  });
  if (reply.write) blocks.push(toolUse('Write', { file_path: reply.write.path, content: reply.write.content }));
  for (const t of reply.tools ?? []) blocks.push(toolUse(t.name, t.input));
  if (!blocks.some((b) => b.type !== 'thinking')) blocks.push({ type: 'text', text: 'OK' });
  return blocks;
}

function message(model: string, blocks: Block[]) {
  return {
    id: `msg_${randomUUID().replace(/-/g, '')}`,
    type: 'message',
    role: 'assistant',
    model,
    content: blocks,
    stop_reason: blocks.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: 10, output_tokens: 10 },
  };
}

async function streamReply(res: http.ServerResponse, model: string, blocks: Block[], o: Pick<ModelReply, 'wordDelayMs' | 'holdLastWord'>): Promise<void> {
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
  const send = (type: string, data: object) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  const msg = message(model, blocks);
  send('message_start', { message: { ...msg, content: [], stop_reason: null, usage: { input_tokens: 10, output_tokens: 1 } } });
  for (const [index, b] of blocks.entries()) {
    if (b.type === 'thinking') {
      send('content_block_start', { index, content_block: { type: 'thinking', thinking: '', signature: '' } });
      for (const thinking of b.thinking.match(/\S+\s*|\s+/g) ?? []) send('content_block_delta', { index, delta: { type: 'thinking_delta', thinking } });
      send('content_block_delta', { index, delta: { type: 'signature_delta', signature: 'scripted' } });
    } else if (b.type === 'text') {
      send('content_block_start', { index, content_block: { type: 'text', text: '' } });
      // Word by word (each word with the space after it), as a model streams tokens.
      const words = b.text.match(/\S+\s*|\s+/g) ?? [];
      for (const [i, text] of words.entries()) {
        if (i > 0 && o.wordDelayMs) await new Promise((r) => setTimeout(r, o.wordDelayMs));
        if (i > 0 && i === words.length - 1 && o.holdLastWord) await o.holdLastWord;
        if (res.destroyed) return; // the client went away (an interrupted turn)
        send('content_block_delta', { index, delta: { type: 'text_delta', text } });
      }
    } else {
      send('content_block_start', { index, content_block: { type: 'tool_use', id: b.id, name: b.name, input: {} } });
      send('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(b.input) } });
    }
    send('content_block_stop', { index });
  }
  send('message_delta', { delta: { stop_reason: msg.stop_reason, stop_sequence: null }, usage: { output_tokens: 10 } });
  send('message_stop', {});
  res.end();
}
