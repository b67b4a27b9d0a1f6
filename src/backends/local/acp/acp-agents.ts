import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Env } from '../../../config/env.js';
import type { AgentPermissions } from '../stream-json/agent-permissions.js';

const require = createRequire(import.meta.url);

/** How to start one of the agents the ACP driver knows, and what it needs beyond ACP itself. */
export interface AcpAgentKind {
  /** `claude`, `codex`, `gemini`, or the command's own name. */
  name: string;
  /** The executable and its arguments; undefined when the agent is not installed (the problem says how to install it). */
  command(): { command: string; args: string[] } | { problem: string };
  /** Claude's own session options (its system prompt, its rules), given with `session/new` and `session/load`. */
  sessionMeta?(how: { instructions: string; permissions: AgentPermissions }): Record<string, unknown>;
  /** The ACP session mode set after the session is made, where the agent has one that asks before it acts. */
  askingMode?: string;
  /** The agent has no means of ours for a system prompt: the chat instructions open a new conversation's first prompt. */
  instructionsInPrompt: boolean;
  /** Set in the agent's environment. */
  env?: Record<string, string>;
  /**
   * The agent reads a file before writing it and cannot write a new one when
   * that read fails (Gemini CLI): a missing file inside the workspace reads
   * as empty.
   */
  missingFileReadsEmpty?: boolean;
}

/** A file of an installed package, or undefined when the package is not there. */
function packageFile(spec: string): string | undefined {
  try {
    const file = require.resolve(spec);
    return existsSync(file) ? file : undefined;
  } catch {
    return undefined;
  }
}

/** A Node program run with this process's own Node (the adapters need a newer one than some systems have). */
function nodeProgram(spec: string, install: string, args: string[] = []): AcpAgentKind['command'] {
  return () => {
    const file = packageFile(spec);
    return file ? { command: process.execPath, args: [file, ...args] } : { problem: `not installed: npm install ${install}` };
  };
}

const CLAUDE: AcpAgentKind = {
  name: 'claude',
  command: nodeProgram('@agentclientprotocol/claude-agent-acp/dist/index.js', '@agentclientprotocol/claude-agent-acp'),
  // What the stream-json driver gives Claude Code, through the adapter's options: our instructions, and
  // only our rules (no settings files: the agent can write those in its workspace).
  sessionMeta: ({ instructions, permissions }) => ({
    systemPrompt: { append: instructions },
    claudeCode: {
      options: {
        tools: permissions.tools,
        settingSources: [],
        settings: { permissions: { allow: permissions.allow, ask: permissions.ask, deny: permissions.deny } },
        // Its guesses at the user's next message cost a model call after every turn and go nowhere here.
        promptSuggestions: false,
        // Never a mode that skips the asking (the adapter offers it wherever it may, IS_SANDBOX set or not root).
        allowDangerouslySkipPermissions: false,
      },
    },
  }),
  // "default" asks about every call no rule allows; the adapter's own default (auto) asks nothing.
  askingMode: 'default',
  instructionsInPrompt: false,
};

const CODEX: AcpAgentKind = {
  name: 'codex',
  // The platform binary itself: its npm wrapper runs it as a child that a signal to the wrapper leaves behind.
  command: () => {
    const file = packageFile(`@zed-industries/codex-acp-${process.platform}-${process.arch}/bin/codex-acp`);
    return file ? { command: file, args: [] } : { problem: 'not installed: npm install @zed-industries/codex-acp' };
  },
  instructionsInPrompt: true,
};

const GEMINI: AcpAgentKind = {
  name: 'gemini',
  command: nodeProgram('@google/gemini-cli/bundle/gemini.js', '@google/gemini-cli', ['--acp']),
  instructionsInPrompt: true,
  // Else it starts a second copy of itself and the first ignores SIGTERM.
  env: { GEMINI_CLI_NO_RELAUNCH: 'true' },
  missingFileReadsEmpty: true,
};

/** The agent PALIADIN_ACP_AGENT names; `command` runs PALIADIN_ACP_COMMAND as it is. */
export function acpAgentKind(env: Pick<Env, 'PALIADIN_ACP_AGENT' | 'PALIADIN_ACP_COMMAND'>): AcpAgentKind {
  switch (env.PALIADIN_ACP_AGENT) {
    case 'claude':
      return CLAUDE;
    case 'codex':
      return CODEX;
    case 'gemini':
      return GEMINI;
    case 'command': {
      const command = env.PALIADIN_ACP_COMMAND ?? '';
      return { name: command.split('/').at(-1) ?? command, command: () => ({ command, args: [] }), instructionsInPrompt: true };
    }
  }
}
