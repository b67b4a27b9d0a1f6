import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ScriptedModelServer, type ModelReply } from '../../src/backends/local/scripted-model.js';
import { DUMMY_API_KEY } from './claude-agent.js';
import { ScriptedGeminiServer, type GeminiReply } from './scripted-gemini.js';
import { ScriptedOpenAIServer, codexConfigToml, updatePlan, writeFile, type OpenAIReply } from './scripted-openai.js';
import { testTempDir } from './temp-dirs.js';

export type AcpAgentUnderTest = 'claude' | 'codex' | 'gemini';

/** What the scripted model does, said once for every agent: each fixture turns it into its own model's answer. */
export interface Reply {
  text?: string;
  /** The model's reasoning before its answer. */
  thought?: string;
  /** A file the model writes with its agent's own write tool, relative to the workspace (each agent resolves it there). */
  write?: { file: string; content: string };
  /** A plan with the agent's own plan tool. */
  plan?: { content: string; status: 'pending' | 'in_progress' | 'completed' }[];
  wordDelayMs?: number;
  hold?: Promise<unknown>;
}

/** A model request as every fixture reports it. */
export interface Asked {
  /** What the person wrote, newest. */
  userMessage: string;
  /** The model's tool call ran: this request carries its result. */
  afterToolResult: boolean;
  /** Everything the model was sent, as text (the conversation so far). */
  conversation: string;
}

/** What the agent does as far as the tests measured it (README: the ACP driver's table). */
export interface AcpSupports {
  /** The conversation comes back after a gateway restart (ACP load or resume). */
  resume: boolean;
  plan: boolean;
  thought: boolean;
  /** Token usage on `end`. */
  usage: boolean;
}

export interface AcpAgentFixture {
  agent: AcpAgentUnderTest;
  /** The app's settings: the ACP driver, this agent, its HOME and the scripted model. */
  env: Record<string, string>;
  home: string;
  workspaces: string;
  supports: AcpSupports;
  /** Every main-loop request the model got (side calls of the agent left out). */
  asked(): Asked[];
  stop(): Promise<void>;
}

export interface AcpFixtureOptions {
  /** The agent asks before it writes a file (a permission request per write). */
  asking?: boolean;
}

const SUPPORTS: Record<AcpAgentUnderTest, AcpSupports> = {
  claude: { resume: true, plan: true, thought: true, usage: true },
  codex: { resume: true, plan: true, thought: true, usage: false },
  // gemini-cli shows write_todos as a tool call only: no plan update.
  gemini: { resume: true, plan: false, thought: true, usage: true },
};

/**
 * A real ACP agent (Claude through its adapter, Codex through codex-acp,
 * Gemini CLI) with a temporary HOME and a scripted model server of its own
 * maker's API on 127.0.0.1, for the app's ACP driver. `reply` answers each
 * main-loop request; undefined gives the default (an echo, or "Done." after
 * a tool ran).
 */
export async function startAcpAgent(
  agent: AcpAgentUnderTest,
  reply: (req: Asked) => Reply | undefined,
  opts: AcpFixtureOptions = {},
): Promise<AcpAgentFixture> {
  const root = testTempDir(`paliadin-acp-${agent}-`);
  const home = path.join(root, 'home');
  const workspaces = path.join(root, 'workspaces');
  mkdirSync(home, { recursive: true });
  mkdirSync(workspaces, { recursive: true });
  const answer = (req: Asked): Reply => reply(req) ?? (req.afterToolResult ? { text: 'Done.' } : { text: `Echo: ${req.userMessage}` });
  const base = {
    PALIADIN_BACKEND: 'local',
    PALIADIN_LOCAL_DRIVER: 'acp',
    PALIADIN_ACP_AGENT: agent,
    PALIADIN_SESSION_PREFIX: `acp-${path.basename(root).slice(-6)}`,
    PALIADIN_AGENT_HOME: home,
    PALIADIN_AGENT_CWD: workspaces,
  };
  const cleanup = () => rmSync(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });

  switch (agent) {
    case 'claude': {
      const model = new ScriptedModelServer((req) => {
        const r = answer({ userMessage: req.userMessage, afterToolResult: req.afterToolResult, conversation: JSON.stringify(req.body.messages) });
        const out: ModelReply = { text: r.text, thinking: r.thought, wordDelayMs: r.wordDelayMs, hold: r.hold };
        if (r.write) out.write = { path: r.write.file, content: r.write.content };
        if (r.plan) out.tools = [{ name: 'TodoWrite', input: { todos: r.plan.map((p) => ({ content: p.content, status: p.status, activeForm: p.content })) } }];
        return out;
      });
      const url = await model.start();
      return {
        agent,
        env: {
          ...base,
          ANTHROPIC_BASE_URL: url,
          ANTHROPIC_API_KEY: DUMMY_API_KEY,
          // The file tools only, and writes asked about where the test wants a permission request.
          PALIADIN_AGENT_ALLOW: opts.asking ? 'Read({workspace}/**)' : 'Read({workspace}/**),Edit({workspace}/**)',
        },
        home,
        workspaces,
        supports: SUPPORTS.claude,
        asked: () =>
          model.requests
            .filter((r) => r.body.tools?.length)
            .map((r) => ({ userMessage: r.userMessage, afterToolResult: r.afterToolResult, conversation: JSON.stringify(r.body.messages) })),
        stop: async () => {
          await model.stop();
          cleanup();
        },
      };
    }
    case 'codex': {
      const model = new ScriptedOpenAIServer((req) => {
        const r = answer({ userMessage: req.userMessage, afterToolResult: req.afterToolResult, conversation: JSON.stringify(req.body.input) });
        const out: OpenAIReply = { text: r.text, reasoning: r.thought, wordDelayMs: r.wordDelayMs, hold: r.hold, tools: [] };
        if (r.write) out.tools?.push(writeFile(r.write.file, r.write.content));
        if (r.plan) out.tools?.push(updatePlan(r.plan.map((p) => ({ step: p.content, status: p.status }))));
        return out;
      });
      const url = await model.start();
      // Codex's own HOME (~/.codex, as CODEX_HOME is not set) in the agent HOME.
      mkdirSync(path.join(home, '.codex'));
      writeFileSync(path.join(home, '.codex', 'config.toml'), codexConfigToml(url, { approvalPolicy: opts.asking ? 'untrusted' : 'never' }));
      return {
        agent,
        env: base,
        home,
        workspaces,
        supports: SUPPORTS.codex,
        asked: () =>
          model.requests.map((r) => ({ userMessage: r.userMessage, afterToolResult: r.afterToolResult, conversation: JSON.stringify(r.body.input) })),
        stop: async () => {
          await model.stop();
          cleanup();
        },
      };
    }
    case 'gemini': {
      const model = new ScriptedGeminiServer((req) => {
        const r = answer({ userMessage: req.userMessage, afterToolResult: req.afterToolResult, conversation: JSON.stringify(req.body.contents) });
        const out: GeminiReply = { text: r.text, thought: r.thought, wordDelayMs: r.wordDelayMs, hold: r.hold };
        if (r.write) out.write = { path: r.write.file, content: r.write.content };
        if (r.plan) out.tools = [{ name: 'write_todos', args: { todos: r.plan.map((p) => ({ description: p.content, status: p.status })) } }];
        return out;
      });
      const url = await model.start();
      mkdirSync(path.join(home, '.gemini'));
      writeFileSync(
        path.join(home, '.gemini', 'settings.json'),
        JSON.stringify({
          security: { auth: { selectedType: 'gemini-api-key' }, folderTrust: { enabled: false } },
          // Else it reports usage to Google's servers.
          privacy: { usageStatisticsEnabled: false },
          telemetry: { enabled: false },
          general: { enableAutoUpdate: false, enableAutoUpdateNotification: false, maxAttempts: 1 },
          ide: { enabled: false },
          // A pinned model: no routing side calls.
          model: { name: 'gemini-2.5-flash' },
        }),
      );
      // Gemini CLI finds its model through its environment: the gateway's own reaches it (ours minus our secrets),
      // so this test process's is set while the fixture lives. Jest runs one test file at a time per process.
      const restore = withProcessEnv({ GOOGLE_GEMINI_BASE_URL: url, GEMINI_API_KEY: 'scripted-gemini-key' });
      return {
        agent,
        env: {
          ...base,
          // Its default mode asks before every write; auto_edit asks before none.
          ...(opts.asking ? {} : { PALIADIN_ACP_ARGS: '--approval-mode auto_edit' }),
        },
        home,
        workspaces,
        supports: SUPPORTS.gemini,
        asked: () =>
          model.requests
            .filter((r) => r.stream)
            .map((r) => ({ userMessage: r.userMessage, afterToolResult: r.afterToolResult, conversation: JSON.stringify(r.body.contents) })),
        stop: async () => {
          restore();
          await model.stop();
          cleanup();
        },
      };
    }
  }
}

/** Sets variables in this process's environment; the function returned puts back what was there. */
function withProcessEnv(vars: Record<string, string>): () => void {
  const before = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  return () => {
    for (const [k, v] of Object.entries(before)) {
      if (v === undefined) Reflect.deleteProperty(process.env, k);
      else process.env[k] = v;
    }
  };
}
