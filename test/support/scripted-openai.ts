import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A tool call the model makes. Codex has two kinds of tools on the Responses
 * API: JSON `function` tools (exec_command, write_stdin, update_plan…) whose
 * arguments are a JSON object, and freeform `custom` tools (apply_patch) whose
 * input is plain text. The helpers below build the usual ones.
 */
export type OpenAIToolCall = { type: 'function'; name: string; arguments: Record<string, unknown> } | { type: 'custom'; name: string; input: string };

/** What the model does with one request: think, say something, call tools, or any mix (in that order). */
export interface OpenAIReply {
  /** A reasoning summary, streamed word by word; codex-acp shows it as agent_thought_chunk. */
  reasoning?: string;
  /** Streamed word by word, one response.output_text.delta per word. */
  text?: string;
  /** Tool calls after the text, e.g. [execCommand('ls'), writeFile('a.txt', 'hi\n'), updatePlan([...])]. */
  tools?: OpenAIToolCall[];
  /** Token counts reported in response.completed (defaults: about a token per 4 request bytes in, 10 out). */
  usage?: { input?: number; output?: number };
  /** Answer with this HTTP error instead (codex retries 429 and 5xx as its provider's request_max_retries says). */
  error?: { status: number; message?: string };
  /** Stream the text word by word, this long between words (tests of a slow answer). */
  wordDelayMs?: number;
  /** Wait before answering. */
  delayMs?: number;
  /** Answer only once this settles (tests: hold a turn, cancel it). */
  hold?: Promise<unknown>;
}

/** One item of a Responses API `input` (the subset this server looks at). */
export interface InputItem {
  type: string;
  role?: string;
  content?: string | { type: string; text?: string }[];
  name?: string;
  call_id?: string;
  arguments?: string;
  input?: string;
  output?: string | { type: string; text?: string }[];
}

export interface OpenAIRequest {
  body: { model?: string; stream?: boolean; instructions?: string; input?: InputItem[]; tools?: { type: string; name?: string }[] };
  /** The last text the person wrote: the newest user message, without the context messages codex adds (environment, instructions). */
  userMessage: string;
  /** Every text the person wrote in this conversation, oldest first: codex sends the whole history each time (store=false). */
  userMessages: string[];
  /** True when the newest input item is a tool call's output: the model's tool call ran. */
  afterToolResult: boolean;
  /** The text of that newest tool output (e.g. the command's output), when afterToolResult. */
  toolOutput?: string;
}

/** exec_command: codex runs `cmd` in a shell (in its cwd unless `workdir` is given). */
export const execCommand = (cmd: string, extra: Record<string, unknown> = {}): OpenAIToolCall => ({
  type: 'function',
  name: 'exec_command',
  arguments: { cmd, ...extra },
});

/** apply_patch adding a file: codex writes `content` to `path` (relative to its cwd, or absolute). */
export const writeFile = (path: string, content: string): OpenAIToolCall => ({
  type: 'custom',
  name: 'apply_patch',
  input: [
    '*** Begin Patch',
    `*** Add File: ${path}`,
    ...content
      .replace(/\n$/, '')
      .split('\n')
      .map((l) => `+${l}`),
    '*** End Patch',
    '',
  ].join('\n'),
});

/** update_plan: codex-acp turns it into a `plan` session update. */
export const updatePlan = (plan: { step: string; status: 'pending' | 'in_progress' | 'completed' }[], explanation?: string): OpenAIToolCall => ({
  type: 'function',
  name: 'update_plan',
  arguments: explanation ? { explanation, plan } : { plan },
});

/**
 * A `$CODEX_HOME/config.toml` that makes codex (codex-acp) talk to this server
 * only: a custom provider (so no login is needed), no retries, no analytics.
 * `model` should be a slug codex bundles metadata for (gpt-5.4, gpt-5.5…):
 * another name works but makes codex-acp post a "Model metadata … not found"
 * agent_message_chunk at session/new and drops the apply_patch tool.
 * approvalPolicy "untrusted" makes codex ask (session/request_permission)
 * before every command not known to be safe and before every file edit.
 */
export function codexConfigToml(
  baseUrl: string,
  opts: { model?: string; approvalPolicy?: 'never' | 'untrusted' | 'on-request'; sandboxMode?: string } = {},
): string {
  return [
    `model = "${opts.model ?? 'gpt-5.4'}"`,
    'model_provider = "scripted"',
    `approval_policy = "${opts.approvalPolicy ?? 'never'}"`,
    // Codex's own sandbox needs bubblewrap (bwrap); without it sandboxed commands exit 101.
    `sandbox_mode = "${opts.sandboxMode ?? 'danger-full-access'}"`,
    'model_reasoning_summary = "auto"',
    '',
    '[model_providers.scripted]',
    'name = "Scripted"',
    `base_url = "${baseUrl}/v1"`,
    'wire_api = "responses"',
    'request_max_retries = 0',
    'stream_max_retries = 0',
    'supports_websockets = false',
    '',
    '[analytics]',
    'enabled = false',
    '',
    '[feedback]',
    'enabled = false',
    '',
  ].join('\n');
}

/** Messages codex puts in the user role itself: context, not what the person wrote. */
const CONTEXT_PREFIXES = ['<environment_context>', '<user_instructions>', '<turn_aborted>', '<skills_instructions>', '# AGENTS.md', '<INSTRUCTIONS>'];

/**
 * A scripted stand-in for the OpenAI Responses API (POST /v1/responses,
 * streamed as SSE), for Codex pointed at it with a `[model_providers.x]`
 * table whose base_url is `${await start()}/v1` and wire_api = "responses".
 * `reply` decides each answer. GET /v1/models gets a short list; anything
 * else a JSON 404.
 */
export class ScriptedOpenAIServer {
  readonly requests: OpenAIRequest[] = [];
  reply: (req: OpenAIRequest) => OpenAIReply;
  private server?: http.Server;

  constructor(reply: (req: OpenAIRequest) => OpenAIReply) {
    this.reply = reply;
  }

  /** Listens on 127.0.0.1 and gives the base URL (no trailing slash, no /v1). */
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
    const path = new URL(req.url ?? '/', 'http://localhost').pathname.replace(/\/+$/, '');
    if (req.method === 'GET' && path.endsWith('/models')) {
      // Both shapes: OpenAI's `data` list, and codex's own `models` list (empty: codex keeps its bundled metadata).
      json(res, 200, { object: 'list', data: [{ id: 'scripted', object: 'model', created: 0, owned_by: 'scripted' }], models: [] });
      return;
    }
    if (req.method !== 'POST' || !path.endsWith('/responses')) {
      json(res, 404, { error: { type: 'invalid_request_error', code: 'not_found', message: `no route for ${req.method} ${path}` } });
      return;
    }
    let raw = '';
    for await (const chunk of req) raw += String(chunk);
    let body: OpenAIRequest['body'];
    try {
      body = JSON.parse(raw) as OpenAIRequest['body'];
    } catch {
      json(res, 400, { error: { type: 'invalid_request_error', code: null, message: 'bad json' } });
      return;
    }
    const request = describe(body);
    this.requests.push(request);
    const reply = this.reply(request);
    if (reply.delayMs) await sleep(reply.delayMs);
    if (reply.hold) await reply.hold;
    if (res.destroyed) return; // codex gave up (a cancelled turn)
    if (reply.error) {
      json(res, reply.error.status, { error: { type: 'server_error', code: null, message: reply.error.message ?? `scripted error ${reply.error.status}` } });
      return;
    }
    await stream(res, body.model ?? 'scripted', reply, Math.ceil(raw.length / 4));
  }
}

function describe(body: OpenAIRequest['body']): OpenAIRequest {
  const input = body.input ?? [];
  const texts = (item: InputItem): string[] =>
    typeof item.content === 'string' ? [item.content] : (item.content ?? []).filter((c) => c.type === 'input_text').map((c) => c.text ?? '');
  // Codex sends the context (environment, AGENTS.md…) as user messages of their own, before the person's.
  const userMessages = input
    .filter((i) => i.type === 'message' && i.role === 'user')
    .flatMap(texts)
    .filter((t) => !CONTEXT_PREFIXES.some((p) => t.trimStart().startsWith(p)));
  const last = input.at(-1);
  const afterToolResult = last?.type === 'function_call_output' || last?.type === 'custom_tool_call_output';
  const output = last?.output;
  const toolOutput = !afterToolResult ? undefined : typeof output === 'string' ? output : (output ?? []).map((o) => o.text ?? '').join('');
  return { body, userMessage: userMessages.at(-1) ?? '', userMessages, afterToolResult, toolOutput };
}

/** Streams one answer as Responses API server-sent events, the way api.openai.com does. */
async function stream(res: http.ServerResponse, model: string, reply: OpenAIReply, inputTokens: number): Promise<void> {
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
  let seq = 0;
  const send = (type: string, data: object) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...data })}\n\n`);
  const id = `resp_${hex()}`;
  const response = { id, object: 'response', created_at: Math.floor(Date.now() / 1000), model, status: 'in_progress', output: [] as object[] };
  send('response.created', { response });
  send('response.in_progress', { response });
  // Word by word (each word with the space after it), as a model streams tokens; false once codex went away.
  const words = async (text: string, each: (delta: string) => void): Promise<boolean> => {
    for (const [i, delta] of (text.match(/\S+\s*|\s+/g) ?? []).entries()) {
      if (i > 0 && reply.wordDelayMs) await sleep(reply.wordDelayMs);
      if (res.destroyed) return false;
      each(delta);
    }
    return true;
  };
  const output: object[] = [];
  const item = (done: object) => {
    output.push(done);
    send('response.output_item.done', { output_index: output.length - 1, item: done });
  };

  if (reply.reasoning) {
    const ref = { item_id: `rs_${hex()}`, output_index: output.length, summary_index: 0 };
    send('response.output_item.added', { output_index: ref.output_index, item: { id: ref.item_id, type: 'reasoning', summary: [] } });
    send('response.reasoning_summary_part.added', { ...ref, part: { type: 'summary_text', text: '' } });
    if (!(await words(reply.reasoning, (delta) => send('response.reasoning_summary_text.delta', { ...ref, delta })))) return;
    send('response.reasoning_summary_text.done', { ...ref, text: reply.reasoning });
    send('response.reasoning_summary_part.done', { ...ref, part: { type: 'summary_text', text: reply.reasoning } });
    item({ id: ref.item_id, type: 'reasoning', summary: [{ type: 'summary_text', text: reply.reasoning }], encrypted_content: null });
  }
  if (reply.text) {
    const ref = { item_id: `msg_${hex()}`, output_index: output.length, content_index: 0 };
    const message = { id: ref.item_id, type: 'message', role: 'assistant', status: 'in_progress', content: [] as object[] };
    send('response.output_item.added', { output_index: ref.output_index, item: message });
    send('response.content_part.added', { ...ref, part: { type: 'output_text', text: '', annotations: [] } });
    if (!(await words(reply.text, (delta) => send('response.output_text.delta', { ...ref, delta, logprobs: [] })))) return;
    const part = { type: 'output_text', text: reply.text, annotations: [] };
    send('response.output_text.done', { ...ref, text: reply.text, logprobs: [] });
    send('response.content_part.done', { ...ref, part });
    item({ ...message, status: 'completed', content: [part] });
  }
  for (const call of reply.tools ?? []) {
    const base = { id: `fc_${hex()}`, call_id: `call_${hex()}`, name: call.name, status: 'in_progress' };
    const output_index = output.length;
    if (call.type === 'function') {
      const args = JSON.stringify(call.arguments);
      send('response.output_item.added', { output_index, item: { ...base, type: 'function_call', arguments: '' } });
      send('response.function_call_arguments.delta', { item_id: base.id, output_index, delta: args });
      send('response.function_call_arguments.done', { item_id: base.id, output_index, arguments: args });
      item({ ...base, type: 'function_call', status: 'completed', arguments: args });
    } else {
      send('response.output_item.added', { output_index, item: { ...base, type: 'custom_tool_call', input: '' } });
      send('response.custom_tool_call_input.delta', { item_id: base.id, output_index, delta: call.input });
      send('response.custom_tool_call_input.done', { item_id: base.id, output_index, input: call.input });
      item({ ...base, type: 'custom_tool_call', status: 'completed', input: call.input });
    }
  }
  const input = reply.usage?.input ?? inputTokens;
  const out = reply.usage?.output ?? 10;
  const usage = {
    input_tokens: input,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: out,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: input + out,
  };
  // Codex takes the turn as over only when the stream ends after response.completed.
  send('response.completed', { response: { ...response, status: 'completed', output, usage } });
  res.end();
}

function json(res: http.ServerResponse, status: number, body: object): void {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const hex = () => randomUUID().replace(/-/g, '');
