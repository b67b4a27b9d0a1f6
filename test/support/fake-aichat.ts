import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AichatTurnBody } from '../../src/backends/aichat/aichat-turn-body.js';
import { startBackendApp, type TurnApp } from './pipeline-app.js';

export interface RecordedRequest {
  method: string;
  path: string;
  authorization?: string;
  body: unknown;
}

export interface StoredTurn {
  role: 'user' | 'assistant';
  content: string;
  created_at: string;
}

export interface Conversation {
  id: string;
  persona: string;
  username: string;
  created_at: string;
  updated_at: string;
  turns: StoredTurn[];
}

/** A scripted stream: raw text written as is, pauses, or hanging up mid-way. */
export type StreamStep = string | Buffer | { pauseMs: number } | { cut: true } | { hang: true };

/**
 * What the fake answers a turn with: a script for the stream (raw steps, with
 * the content type of the response), a one-shot JSON answer, an error
 * envelope, a connection reset or closed before any byte of the response, or a bare
 * answer without an envelope as a proxy in front of aichat gives. `then` runs
 * once the response is over or broken (aichat finishing the turn anyway).
 */
export type TurnScript = (
  | { stream: StreamStep[]; contentType?: string }
  | { json: Record<string, unknown> }
  | { status: number; error: { code: string; message: string; retryable?: boolean } }
  | { drop: 'reset' | 'close' }
  | { bare: { status: number; contentType: string; body: string } }
) & { then?: () => void };

/** How the connection to the client breaks while aichat goes on with the turn. */
export type Breakage = 'reset-before-response' | 'close-before-response' | 'cut-mid-response' | 'proxy-502';

/** The page a proxy (nginx) answers when the upstream fails. */
export const PROXY_502_PAGE =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';

/** `data: {json}` default-event frame. */
export const frame = (data: object, eol = '\n') => `data: ${JSON.stringify(data)}${eol}${eol}`;
/** Named `event: heartbeat` frame. */
export const heartbeat = (elapsed: number, eol = '\n') => `event: heartbeat${eol}data: ${JSON.stringify({ elapsed_seconds: elapsed })}${eol}${eol}`;

/**
 * A fake aichat service on 127.0.0.1 following docs/aichat.md: bearer-token
 * checked on every route, /chat/health, /chat/turn and /chat/turn/stream
 * answered from a per-test script, /chat/reset, and a conversation store
 * behind /chat/conversations that recovery reads.
 */
export class FakeAichat {
  readonly requests: RecordedRequest[] = [];
  readonly conversations = new Map<string, Conversation>();
  /** Turn streams whose connection is still open: a test sees the gateway close them. */
  openStreams = 0;
  health: { status: number; body: Record<string, unknown> } = { status: 200, body: { ok: true, claude_reachable: true, tmux_reachable: true } };
  /** Decides each turn; the default answers with a short happy stream (or JSON). */
  script: (body: AichatTurnBody, fake: FakeAichat) => TurnScript = (body, fake) => fake.happy(body, `Antwort auf: ${body.message}`);
  /** Awaited before /chat/health answers (to act while a turn passes its health gate). */
  onHealth?: () => Promise<void>;
  /** false: /chat/reset answers {ok: false}. */
  resetOk = true;
  private server?: http.Server;
  private port = 0;

  constructor(readonly token = 'aichat-test-token') {}

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Stops listening (connection refused from now on); start() again reuses the port. */
  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }

  /** The turn bodies received, in order. */
  turnBodies(): AichatTurnBody[] {
    return this.requests.filter((r) => r.path.startsWith('/chat/turn')).map((r) => r.body as AichatTurnBody);
  }

  /** Records the exchange in the store (as aichat does) and returns its conversation. */
  record(body: AichatTurnBody, answer?: string): Conversation {
    let conv = [...this.conversations.values()].find((c) => c.username === body.username && c.persona === body.persona);
    const now = new Date().toISOString();
    if (!conv) {
      conv = { id: `conv-${randomUUID()}`, persona: body.persona, username: body.username, created_at: now, updated_at: now, turns: [] };
      this.conversations.set(conv.id, conv);
    }
    conv.turns.push({ role: 'user', content: body.message, created_at: now });
    if (answer !== undefined) conv.turns.push({ role: 'assistant', content: answer, created_at: now });
    conv.updated_at = now;
    return conv;
  }

  /** A normal streamed answer: conversation, two chunks, meta, done; stored in the conversation. */
  happy(body: AichatTurnBody, answer: string, extra: { meta?: object; paneSpawned?: boolean } = {}): TurnScript {
    const conv = this.record(body, answer);
    const half = Math.ceil(answer.length / 2);
    const meta = extra.meta ?? { used_tools: ['paliad.cases'], rows_seen: ['42'], classifier_tag: 'case_lookup' };
    return {
      stream: [
        frame({ type: 'conversation', conversation_id: conv.id }),
        frame({ type: 'chunk', content: answer.slice(0, half) }),
        frame({ type: 'chunk', content: answer.slice(half) }),
        frame({ type: 'meta', meta }),
        frame({ type: 'done', turn_id: randomUUID(), conversation_id: conv.id, response: answer, duration_ms: 5, pane_spawned: extra.paneSpawned ?? false }),
      ],
    };
  }

  /**
   * aichat takes the turn, the connection to the client breaks (`how`), and
   * aichat finishes the turn anyway: the user entry is stored at once, the
   * answer right after the break, as the real service keeps its conversations.
   * `oneshot` shapes the mid-response cut as a JSON body (POST /chat/turn).
   */
  lostButFinished(body: AichatTurnBody, answer: string, how: Breakage, oneshot = false): TurnScript {
    const conv = this.record(body);
    const then = () => {
      conv.turns.push({ role: 'assistant', content: answer, created_at: new Date().toISOString() });
      conv.updated_at = new Date().toISOString();
    };
    switch (how) {
      case 'reset-before-response':
        return { drop: 'reset', then };
      case 'close-before-response':
        return { drop: 'close', then };
      case 'proxy-502':
        return { bare: { status: 502, contentType: 'text/html', body: PROXY_502_PAGE }, then };
      case 'cut-mid-response':
        return oneshot
          ? {
              stream: [`{"turn_id":"${randomUUID()}","conversation_id":"${conv.id}","response":"${answer.slice(0, 5)}`, { cut: true }],
              contentType: 'application/json',
              then,
            }
          : { stream: [frame({ type: 'conversation', conversation_id: conv.id }), frame({ type: 'chunk', content: answer.slice(0, 5) }), { cut: true }], then };
    }
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let raw = '';
    for await (const chunk of req) raw += String(chunk);
    const url = new URL(req.url ?? '/', this.url);
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      this.error(res, 400, 'bad_request', 'body is not JSON');
      return;
    }
    this.requests.push({ method: req.method ?? '', path: url.pathname + url.search, authorization: req.headers.authorization, body });
    if (req.headers.authorization !== `Bearer ${this.token}`) {
      this.error(res, 401, 'auth_failed', 'bad bearer token');
      return;
    }

    if (req.method === 'GET' && url.pathname === '/chat/health') {
      await this.onHealth?.();
      this.json(res, this.health.status, this.health.body);
      return;
    }
    if (req.method === 'POST' && url.pathname === '/chat/reset') {
      this.json(res, 200, { ok: this.resetOk });
      return;
    }
    if (req.method === 'GET' && url.pathname === '/chat/conversations') {
      const persona = url.searchParams.get('persona');
      const username = url.searchParams.get('username');
      const list = [...this.conversations.values()].filter((c) => c.persona === persona && c.username === username);
      this.json(res, 200, { conversations: list.map((c) => ({ ...c, turns: undefined })) });
      return;
    }
    const turnsPath = /^\/chat\/conversations\/([^/]+)\/turns$/.exec(url.pathname);
    if (req.method === 'GET' && turnsPath) {
      const conv = this.conversations.get(decodeURIComponent(turnsPath[1]));
      if (conv) this.json(res, 200, { turns: conv.turns });
      else this.error(res, 404, 'bad_request', 'no such conversation');
      return;
    }
    if (req.method === 'POST' && (url.pathname === '/chat/turn' || url.pathname === '/chat/turn/stream')) {
      const script = this.script(body as AichatTurnBody, this);
      try {
        await this.answerTurn(res, script);
        return;
      } finally {
        script.then?.();
      }
    }
    this.error(res, 404, 'bad_request', `no route ${req.method} ${url.pathname}`);
  }

  private async answerTurn(res: http.ServerResponse, script: TurnScript): Promise<void> {
    if ('status' in script) {
      this.error(res, script.status, script.error.code, script.error.message, script.error.retryable);
      return;
    }
    if ('json' in script) {
      this.json(res, 200, script.json);
      return;
    }
    // The request was read in full; not one byte of a response goes back: a TCP reset (RST) or a plain close (FIN).
    if ('drop' in script) {
      if (script.drop === 'reset') res.socket?.resetAndDestroy();
      else res.socket?.destroy();
      return;
    }
    if ('bare' in script) return void res.writeHead(script.bare.status, { 'Content-Type': script.bare.contentType }).end(script.bare.body);
    res.writeHead(200, { 'Content-Type': script.contentType ?? 'text/event-stream', 'Cache-Control': 'no-cache' });
    res.flushHeaders();
    this.openStreams++;
    res.once('close', () => this.openStreams--);
    for (const step of script.stream) {
      if (typeof step === 'string' || Buffer.isBuffer(step)) {
        res.write(step);
        // Each step its own TCP write: let it leave before the next one.
        await new Promise((r) => setImmediate(r));
      } else if ('pauseMs' in step) await new Promise((r) => setTimeout(r, step.pauseMs));
      else if ('cut' in step) return void res.socket?.destroy();
      else if ('hang' in step) return; // keeps the connection open, saying nothing
    }
    res.end();
  }

  private json(res: http.ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  }

  private error(res: http.ServerResponse, status: number, code: string, message: string, retryable = false): void {
    this.json(res, status, { error: { code, message, retryable } });
  }
}

/** The app with PALIADIN_BACKEND=aichat pointed at `fake`. */
export function startAichatApp(fake: FakeAichat, env: Record<string, string> = {}): Promise<TurnApp> {
  return startBackendApp({ PALIADIN_BACKEND: 'aichat', PALIADIN_AICHAT_URL: fake.url, PALIADIN_AICHAT_TOKEN: fake.token, ...env });
}
