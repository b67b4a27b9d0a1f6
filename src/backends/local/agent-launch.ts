import { existsSync } from 'node:fs';
import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import type { AppConfig } from '../../config/app-config.js';
import { projectRoot } from '../../config/project-root.js';
import type { AgentWatch } from './agent-watchdog.js';

/** How to start the agent: no shell, an argument array and an explicit environment. */
export interface AgentLaunch {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** Told each agent process started and ended, so that none outlives the gateway (agent-watchdog.ts). */
  watch?: AgentWatch;
}

// Our own settings and secrets stay out of the agent's environment: it can run commands.
const PRIVATE_ENV_RE = /^(PALIADIN_|TEST_)|DATABASE_URL|SECRET|PASSWORD/;

// Environment variables by which Claude Code finds a model without an API key.
const OTHER_CREDENTIALS = ['ANTHROPIC_AUTH_TOKEN', 'CLAUDE_CODE_OAUTH_TOKEN', 'CLAUDE_CODE_USE_BEDROCK', 'CLAUDE_CODE_USE_VERTEX'];

/** The agent's HOME as configured: PALIADIN_AGENT_HOME, else this process's. */
export function configuredAgentHome(config: AppConfig): string {
  return path.resolve(config.env.PALIADIN_AGENT_HOME ?? process.env.HOME ?? '/');
}

/** Where the demo mode keeps its own agent HOME, apart from the user's real ~/.claude. */
export function demoAgentHome(config: AppConfig): string {
  return path.join(config.dataDir, 'agent-home');
}

/** Said by /health and by every turn when the agent has no way to reach a model. */
export const NO_CREDENTIALS = 'no Anthropic credentials: set ANTHROPIC_API_KEY or log in with claude';

/**
 * Whether the agent can reach a model: an API key or base URL of ours, a
 * token Claude Code reads from the environment, or a logged-in Claude Code
 * (`claude` then `/login`) in the agent's HOME. Read on each call: a login
 * made while the service runs counts without a restart.
 */
export function hasAgentCredentials(config: AppConfig): boolean {
  if (config.env.ANTHROPIC_API_KEY || config.env.ANTHROPIC_BASE_URL) return true;
  if (OTHER_CREDENTIALS.some((k) => process.env[k])) return true;
  return existsSync(path.join(configuredAgentHome(config), '.claude', '.credentials.json'));
}

/**
 * The demo model is for a newcomer's first `npm start`: development only,
 * not switched off, and no way for the agent to reach a real model.
 */
export function shouldUseDemoModel(config: AppConfig): boolean {
  if (config.env.NODE_ENV !== 'development' || config.env.PALIADIN_DEMO_MODEL === 'off') return false;
  return !hasAgentCredentials(config);
}

/**
 * How the local backend starts the agent: the configured command and
 * arguments (no shell), in the agent working directory, with an environment
 * built from ours minus our own secrets, plus the model settings.
 */
export function agentLaunch(config: AppConfig, model?: { baseUrl: string; apiKey: string; home: string }): AgentLaunch {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !PRIVATE_ENV_RE.test(k)) env[k] = v;
  Object.assign(env, {
    HOME: model?.home ?? configuredAgentHome(config),
    TERM: 'xterm-256color',
    // An unattended agent under a service should not phone home or update itself mid-turn.
    DISABLE_TELEMETRY: '1',
    DISABLE_AUTOUPDATER: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  });
  const apiKey = model?.apiKey ?? config.env.ANTHROPIC_API_KEY;
  const baseUrl = model?.baseUrl ?? config.env.ANTHROPIC_BASE_URL;
  if (apiKey) env.ANTHROPIC_API_KEY = apiKey;
  if (baseUrl) env.ANTHROPIC_BASE_URL = baseUrl;
  return {
    command: config.env.PALIADIN_AGENT_COMMAND,
    args: config.env.PALIADIN_AGENT_ARGS.split(/\s+/).filter(Boolean),
    cwd: config.agentCwd,
    env,
  };
}

/** The agent executable to run: the command itself, found on PATH, or the project's own; undefined when none can run. */
export async function resolveCommand(command: string, envPath: string | undefined): Promise<string | undefined> {
  // The project's own node_modules/.bin comes last: `npm start` puts it on PATH, a bare `node dist/...` does not.
  const dirs = [...(envPath ?? '').split(':').filter(Boolean), path.join(projectRoot(), 'node_modules', '.bin')];
  const candidates = command.includes('/') ? [path.resolve(command)] : dirs.map((d) => path.join(d, command));
  for (const c of candidates) {
    try {
      await access(c, constants.X_OK);
      return c;
    } catch {
      // not here; try the next PATH entry
    }
  }
  return undefined;
}
