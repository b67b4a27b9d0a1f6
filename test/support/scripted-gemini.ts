import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * What the model does with one turn request: think, say something, call
 * tools, or any mix (in that order within one answer).
 */
export interface GeminiReply {
  /** A thought part (`thought: true`); gemini-cli shows `**Subject** rest` as an agent_thought_chunk. */
  thought?: string;
  /** Streamed word by word, one SSE chunk per word. */
  text?: string;
  /** A `write_file` call: gemini-cli writes `content` to `path` (absolute or relative to its cwd). */
  write?: { path: string; content: string };
  /** Other function calls, after the write, with gemini-cli's tool names: run_shell_command {command}, write_todos {todos}, read_file {file_path}… */
  tools?: { name: string; args: Record<string, unknown> }[];
  /** Token counts reported in the last chunk (defaults: 10 in, 10 out). */
  usage?: { promptTokenCount?: number; candidatesTokenCount?: number; thoughtsTokenCount?: number };
  /** Answer with this HTTP error instead (gemini-cli retries 429 and 5xx with backoff). */
  error?: { status: number; message?: string };
  /** Stream the text word by word, this long between words. */
  wordDelayMs?: number;
  /** Wait before answering. */
  delayMs?: number;
  /** Answer only once this settles (tests: hold a turn, cancel it). */
  hold?: Promise<unknown>;
}

/** A Gemini API `Content`: a turn of the conversation. */
export interface GeminiContent {
  role?: string;
  parts?: GeminiPart[];
}

export interface GeminiPart {
  text?: string;
  thought?: boolean;
  functionCall?: { id?: string; name: string; args?: Record<string, unknown> };
  functionResponse?: { id?: string; name: string; response?: Record<string, unknown> };
}

interface GenerateContentBody {
  contents?: GeminiContent[];
  systemInstruction?: GeminiContent;
  tools?: { functionDeclarations?: { name: string }[] }[];
  generationConfig?: { responseMimeType?: string; responseSchema?: JsonSchema; responseJsonSchema?: JsonSchema };
}

export interface GeminiRequest {
  /** The model id from the URL, e.g. `gemini-2.5-flash`. */
  model: string;
  /** True for `:streamGenerateContent` (the agent's turns), false for `:generateContent` (side calls). */
  stream: boolean;
  body: GenerateContentBody;
  /** The last text the person wrote: the newest user content without a function response. */
  userMessage: string;
  /** True when the newest content carries a functionResponse: the model's tool call ran. */
  afterToolResult: boolean;
}

/** The subset of (OpenAPI or JSON) schema that gemini-cli's side calls use for JSON answers. */
interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  required?: string[];
}

/**
 * A scripted stand-in for the Gemini API (generativelanguage v1beta), for
 * gemini-cli pointed at it with GOOGLE_GEMINI_BASE_URL. `reply` decides each
 * streamed turn; side calls (`:generateContent`: routing classifier, loop and
 * next-speaker checks, summaries) get plausible canned answers, `:countTokens`
 * a count, and the model listing a short list.
 *
 * Offline gemini-cli (checked with 0.61.0): `gemini --acp` with env HOME=<temp dir>,
 * GOOGLE_GEMINI_BASE_URL=<start()'s URL>, GEMINI_API_KEY=<anything>,
 * GEMINI_CLI_NO_RELAUNCH=true, and $HOME/.gemini/settings.json holding at least
 * `{"security":{"auth":{"selectedType":"gemini-api-key"}},"privacy":{"usageStatisticsEnabled":false}}`
 * (usage statistics are the one thing that otherwise leaves the machine).
 * Pin `model.name` to a gemini-2.5 model for the write_todos tool.
 */
export class ScriptedGeminiServer {
  readonly requests: GeminiRequest[] = [];
  reply: (req: GeminiRequest) => GeminiReply;
  private server?: http.Server;

  constructor(reply: (req: GeminiRequest) => GeminiReply) {
    this.reply = reply;
  }

  /** Listens on 127.0.0.1 and gives the base URL (no trailing slash). */
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
    // Paths look like /v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse.
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = /^\/v1\w*\/models\/([^:/]+)(?::(\w+))?$/.exec(url.pathname);
    if (req.method === 'GET' && /^\/v1\w*\/models\/?$/.test(url.pathname)) {
      json(res, 200, { models: MODELS.map(modelInfo) });
      return;
    }
    if (req.method === 'GET' && match && !match[2]) {
      json(res, 200, modelInfo(match[1]));
      return;
    }
    if (req.method !== 'POST' || !match?.[2]) {
      json(res, 404, { error: { code: 404, message: `no route for ${req.method} ${url.pathname}`, status: 'NOT_FOUND' } });
      return;
    }
    let raw = '';
    for await (const chunk of req) raw += String(chunk);
    let body: GenerateContentBody;
    try {
      body = JSON.parse(raw) as GenerateContentBody;
    } catch {
      json(res, 400, { error: { code: 400, message: 'bad json', status: 'INVALID_ARGUMENT' } });
      return;
    }
    const [, model, method] = match;
    if (method === 'countTokens') {
      json(res, 200, { totalTokens: Math.ceil(raw.length / 4) });
      return;
    }
    if (method !== 'streamGenerateContent' && method !== 'generateContent') {
      json(res, 404, { error: { code: 404, message: `unknown method ${method}`, status: 'NOT_FOUND' } });
      return;
    }
    const request = describe(model, method === 'streamGenerateContent', body);
    this.requests.push(request);
    // gemini-cli streams its agent turns; the non-streamed calls are its side calls.
    const reply = request.stream ? this.reply(request) : sideReply(body);
    if (reply.delayMs) await sleep(reply.delayMs);
    if (reply.hold) await reply.hold;
    if (res.destroyed) return; // the client gave up (a cancelled turn)
    if (reply.error) {
      const code = reply.error.status;
      const status = code === 429 ? 'RESOURCE_EXHAUSTED' : code < 500 ? 'INVALID_ARGUMENT' : 'UNAVAILABLE';
      json(res, code, { error: { code, message: reply.error.message ?? `scripted error ${code}`, status } });
      return;
    }
    const parts = toParts(reply);
    const usage = usageMetadata(reply);
    if (!request.stream) {
      json(res, 200, chunk(model, parts, usage));
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    // One SSE event per part, and the text word by word (each word with the space after it).
    const pieces = parts.flatMap((p) => (p.text && !p.thought ? (p.text.match(/\S+\s*|\s+/g) ?? []).map((text) => ({ text })) : [p]));
    for (const [i, part] of pieces.entries()) {
      if (i > 0 && reply.wordDelayMs && part.text !== undefined) await sleep(reply.wordDelayMs);
      if (res.destroyed) return;
      const last = i === pieces.length - 1;
      res.write(`data: ${JSON.stringify(chunk(model, [part], last ? usage : undefined))}\r\n\r\n`);
    }
    res.end();
  }
}

const MODELS = ['gemini-2.5-pro', 'gemini-2.5-flash', 'gemini-2.5-flash-lite'];

function modelInfo(name: string) {
  return { name: `models/${name}`, displayName: name, supportedGenerationMethods: ['generateContent', 'countTokens'] };
}

function describe(model: string, stream: boolean, body: GenerateContentBody): GeminiRequest {
  const contents = body.contents ?? [];
  const isToolResult = (c: GeminiContent | undefined) => (c?.parts ?? []).some((p) => p.functionResponse);
  const lastTyped = [...contents].reverse().find((c) => c.role === 'user' && !isToolResult(c));
  const texts = (lastTyped?.parts ?? []).filter((p) => typeof p.text === 'string' && !p.thought).map((p) => p.text ?? '');
  return { model, stream, body, userMessage: texts.at(-1)?.trim() ?? '', afterToolResult: isToolResult(contents.at(-1)) };
}

/** Side calls: a JSON answer shaped by the requested schema, else a short plain text. */
function sideReply(body: GenerateContentBody): GeminiReply {
  const config = body.generationConfig;
  const schema = config?.responseJsonSchema ?? config?.responseSchema;
  if (config?.responseMimeType === 'application/json') return { text: JSON.stringify(schema ? fill(schema) : {}) };
  return { text: 'Scripted summary.' };
}

/**
 * Side-call fields whose safe answer is not the generic one: the numerical
 * router wants a 1-100 complexity score (low: the flash model).
 */
const SIDE_ANSWERS: Record<string, unknown> = { complexity_score: 10 };

/**
 * A minimal value that satisfies `schema`, chosen to be the harmless answer:
 * the first enum value (next speaker "user", router "flash"), empty strings
 * (the edit corrector then keeps the original text), false, 0 (loop
 * detection: no loop).
 */
function fill(schema: JsonSchema): unknown {
  if (schema.enum?.length) return schema.enum[0];
  const type = (Array.isArray(schema.type) ? schema.type[0] : schema.type)?.toLowerCase();
  switch (type) {
    case 'object':
      return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, v]) => [k, k in SIDE_ANSWERS ? SIDE_ANSWERS[k] : fill(v)]));
    case 'array':
      return [];
    case 'boolean':
      return false;
    case 'number':
    case 'integer':
      return 0;
    default:
      return '';
  }
}

function toParts(reply: GeminiReply): GeminiPart[] {
  const parts: GeminiPart[] = [];
  if (reply.thought) parts.push({ text: reply.thought, thought: true });
  if (reply.text) parts.push({ text: reply.text });
  if (reply.write) parts.push({ functionCall: { name: 'write_file', args: { file_path: reply.write.path, content: reply.write.content } } });
  for (const t of reply.tools ?? []) parts.push({ functionCall: { name: t.name, args: t.args } });
  if (parts.length === 0) parts.push({ text: 'OK' });
  return parts;
}

function usageMetadata(reply: GeminiReply) {
  const promptTokenCount = reply.usage?.promptTokenCount ?? 10;
  const candidatesTokenCount = reply.usage?.candidatesTokenCount ?? 10;
  const thoughtsTokenCount = reply.usage?.thoughtsTokenCount ?? 0;
  return { promptTokenCount, candidatesTokenCount, thoughtsTokenCount, totalTokenCount: promptTokenCount + candidatesTokenCount + thoughtsTokenCount };
}

/** One GenerateContentResponse; the one carrying usage is the last and says why the answer stopped. */
function chunk(model: string, parts: GeminiPart[], usage?: ReturnType<typeof usageMetadata>) {
  return {
    candidates: [{ content: { role: 'model', parts }, index: 0, ...(usage ? { finishReason: 'STOP' } : {}) }],
    ...(usage ? { usageMetadata: usage } : {}),
    modelVersion: model,
    responseId: randomUUID(),
  };
}

function json(res: http.ServerResponse, status: number, body: object): void {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
