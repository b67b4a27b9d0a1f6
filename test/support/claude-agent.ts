import { rmSync } from 'node:fs';
import path from 'node:path';
import { prepareAgentHome } from '../../src/backends/local/agent-home.js';
import { ScriptedModelServer, type ModelReply, type ModelRequest } from '../../src/backends/local/scripted-model.js';
import { ENVELOPE_RE } from '../../src/contract/envelope.js';
import { testTempDir } from './temp-dirs.js';

export const DUMMY_API_KEY = 'sk-ant-test-dummy-key-0123456789abcdef';

export interface Envelope {
  turnId: string;
  out: string;
  message: string;
}

/** The envelope in a model request, if the request carries one. */
export function envelopeOf(req: ModelRequest): Envelope | undefined {
  const m = ENVELOPE_RE.exec(req.userText);
  return m ? { turnId: m[1], out: m[2], message: m[3] } : undefined;
}

export interface ClaudeAgentFixture {
  model: ScriptedModelServer;
  /** App settings that point the local backend at the real `claude` and the scripted model. */
  env: Record<string, string>;
  home: string;
  responseDir: string;
  /** The envelopes the model has seen, in order. */
  envelopes: () => Envelope[];
  stop: () => Promise<void>;
}

/**
 * The real Claude Code CLI (node_modules/.bin/claude, on PATH under npm) with
 * a temporary HOME prepared the way `npm run agent:setup` prepares one, and a
 * scripted Anthropic Messages server on 127.0.0.1 as its model; the local
 * backend drives it with the pty driver. `answer`
 * decides what the model does with each envelope; after the Write's tool
 * result it just says "Done.".
 */
export async function startClaudeAgent(answer: (env: Envelope, req: ModelRequest) => ModelReply): Promise<ClaudeAgentFixture> {
  const root = testTempDir('paliadin-claude-');
  const home = path.join(root, 'home');
  const cwd = path.join(root, 'workspace');
  const responseDir = path.join(root, 'responses');
  await prepareAgentHome({ home, cwd, responseDir, apiKey: DUMMY_API_KEY });
  const model = new ScriptedModelServer((req) => {
    if (req.afterToolResult) return { text: 'Done.' };
    const envelope = envelopeOf(req);
    return envelope ? answer(envelope, req) : { text: 'No envelope in this message.' };
  });
  const baseUrl = await model.start();
  return {
    model,
    home,
    responseDir,
    env: {
      PALIADIN_BACKEND: 'local',
      PALIADIN_LOCAL_DRIVER: 'pty',
      PALIADIN_AGENT_COMMAND: path.resolve('node_modules/.bin/claude'),
      PALIADIN_AGENT_HOME: home,
      PALIADIN_AGENT_CWD: cwd,
      PALIADIN_RESPONSE_DIR: responseDir,
      ANTHROPIC_BASE_URL: baseUrl,
      ANTHROPIC_API_KEY: DUMMY_API_KEY,
    },
    // Side requests (titles, checks) quote the message too but carry no tools: only the main loop counts.
    envelopes: () => model.requests.filter((r) => r.body.tools?.length && !r.afterToolResult).flatMap((r) => envelopeOf(r) ?? []),
    stop: async () => {
      await model.stop();
      // An agent killed a moment ago (tmux kill-server) may still be writing its files: retry.
      rmSync(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    },
  };
}

/** A model answer: one Write of `content` to the envelope's out path. */
export function writeAnswer(envelope: Envelope, content: string, extra: Partial<ModelReply> = {}): ModelReply {
  return { write: { path: envelope.out, content }, ...extra };
}

export interface StreamJsonAgentFixture {
  model: ScriptedModelServer;
  /** App settings for the local backend's stream-json driver, the real `claude` and the scripted model. */
  env: Record<string, string>;
  home: string;
  /** PALIADIN_AGENT_CWD: each agent session works in a folder of its own below it. */
  workspaces: string;
  /** The main loop's requests that carry a person's message (not a tool result), in order. */
  turns: () => ModelRequest[];
  stop: () => Promise<void>;
}

/**
 * The real Claude Code CLI driven headless (stream-json) by the local
 * backend, with a temporary HOME prepared like `npm run agent:setup` does,
 * and the scripted model on 127.0.0.1. `answer` decides each main-loop
 * reply; undefined means the default: an echo of the message's length, or
 * "Done." after a tool result. Agent session names get a prefix of their
 * own, so ids stored by other suites in the shared database never meet these.
 */
export async function startStreamJsonAgent(answer: (req: ModelRequest) => ModelReply | undefined = () => undefined): Promise<StreamJsonAgentFixture> {
  const root = testTempDir('paliadin-sj-');
  const home = path.join(root, 'home');
  const workspaces = path.join(root, 'workspaces');
  await prepareAgentHome({ home, cwd: workspaces, responseDir: path.join(root, 'responses'), apiKey: DUMMY_API_KEY });
  const model = new ScriptedModelServer((req) => answer(req) ?? (req.afterToolResult ? { text: 'Done.' } : { text: `Echo: ${req.userMessage.length} chars` }));
  const baseUrl = await model.start();
  return {
    model,
    home,
    workspaces,
    env: {
      PALIADIN_BACKEND: 'local',
      PALIADIN_LOCAL_DRIVER: 'stream-json',
      PALIADIN_SESSION_PREFIX: `sj-${path.basename(root).slice(-6)}`,
      PALIADIN_AGENT_COMMAND: path.resolve('node_modules/.bin/claude'),
      PALIADIN_AGENT_HOME: home,
      PALIADIN_AGENT_CWD: workspaces,
      ANTHROPIC_BASE_URL: baseUrl,
      ANTHROPIC_API_KEY: DUMMY_API_KEY,
    },
    turns: () => model.requests.filter((r) => r.body.tools?.length && !r.afterToolResult),
    stop: async () => {
      await model.stop();
      rmSync(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    },
  };
}

/** What the scripted model does for the messages carrying a marker. */
export type MarkedAnswers = Map<string, (req: ModelRequest) => ModelReply | undefined>;

/** Everything the model was sent in one request, as text (the conversation so far). */
export const conversationOf = (req: ModelRequest): string => JSON.stringify(req.body.messages);

/**
 * A model steered by markers in the messages: the answer of the marker the
 * message carries (the last one, when it carries several); after a tool
 * result, of the turn whose marker came last in the conversation. No marker:
 * undefined (the fixture's default answer).
 */
export function byMarker(answers: MarkedAnswers): (req: ModelRequest) => ModelReply | undefined {
  return (req) => {
    const text = req.afterToolResult ? conversationOf(req) : req.userMessage;
    const found = [...answers.keys()].map((m) => [m, text.lastIndexOf(m)] as const).filter(([, at]) => at >= 0);
    const marker = found.sort((a, b) => b[1] - a[1])[0]?.[0];
    return marker ? answers.get(marker)!(req) : undefined;
  };
}
