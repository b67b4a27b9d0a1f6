import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Logger } from '@nestjs/common';
import type { AppConfig } from '../../config/app-config.js';
import { NO_CREDENTIALS, agentLaunch, demoAgentHome, hasAgentCredentials, resolveCommand, shouldUseDemoModel, type AgentLaunch } from './agent-launch.js';
import { prepareAgentHome } from './agent-home.js';
import { AgentWatchdog } from './agent-watchdog.js';
import { DEMO_API_KEY, DEMO_NOTICE, demoReply } from './demo-model.js';
import { ScriptedModelServer } from './scripted-model.js';

/** The agent could not be started (pty: it never showed its prompt; stream-json: it never answered its handshake). */
export class AgentStartError extends Error {
  override readonly name = 'AgentStartError';
}

/**
 * `starting` (an agent's handshake), unless the start timeout passes or the
 * turn ends first: an AgentStartError then, `timedOut` its message. Nothing
 * is left armed once it settles.
 */
export async function untilStarted<T>(starting: Promise<T>, signal: AbortSignal, timeoutMs: number, timedOut: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    return await Promise.race([
      starting,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new AgentStartError(timedOut)), timeoutMs);
        onAbort = () => reject(new AgentStartError('The turn ended while the agent was starting'));
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

/**
 * What the local drivers share: how the agent is launched (command,
 * arguments, environment, HOME), the watchdog that ends the agents when the
 * gateway dies, and, for Claude on a newcomer's first `npm start` without
 * credentials, the demo model it talks to. `claude: false` (an ACP agent of
 * another maker): no demo model, and its credentials are its own affair.
 */
export class LocalAgentHost {
  private readonly logger = new Logger('LocalBackend');
  private launch?: AgentLaunch;
  private demoModel?: ScriptedModelServer;
  private readonly watchdog: AgentWatchdog;

  constructor(
    private readonly config: AppConfig,
    private readonly opts: { claude: boolean } = { claude: true },
  ) {
    this.watchdog = new AgentWatchdog(path.join(config.dataDir, 'agents'));
  }

  /** Said by /health and in every answer while the demo model runs. */
  get demoNotice(): string | undefined {
    return this.demoModel ? DEMO_NOTICE : undefined;
  }

  async start(): Promise<void> {
    // Before any agent of this run starts: the ones an earlier run left behind go first.
    await this.watchdog.start();
    await mkdir(this.config.responseDir, { recursive: true });
    await mkdir(this.config.agentCwd, { recursive: true });
    if (this.opts.claude && shouldUseDemoModel(this.config)) {
      this.demoModel = new ScriptedModelServer(demoReply);
      const baseUrl = await this.demoModel.start();
      const home = demoAgentHome(this.config);
      await prepareAgentHome({ home, cwd: this.config.agentCwd, responseDir: this.config.responseDir, apiKey: DEMO_API_KEY });
      this.launch = agentLaunch(this.config, { baseUrl, apiKey: DEMO_API_KEY, home });
      this.logger.warn(`${DEMO_NOTICE}. Set ANTHROPIC_API_KEY (or log in with claude) for real answers.`);
    } else {
      this.launch = agentLaunch(this.config);
      if (this.opts.claude && !hasAgentCredentials(this.config))
        this.logger.warn(`${NO_CREDENTIALS}: /health reports the backend down and turns fail until then`);
    }
  }

  /** The agent's HOME, once started. */
  get home(): string | undefined {
    return this.launch?.env.HOME;
  }

  /** After the drivers ended their agents. */
  async stop(): Promise<void> {
    this.watchdog.stop();
    await this.demoModel?.stop();
  }

  /** The agent executable as it would be run now, or why it cannot be (health). */
  async command(): Promise<{ path: string } | { problem: string }> {
    if (!this.launch) return { problem: 'starting' };
    const command = await resolveCommand(this.launch.command, this.launch.env.PATH);
    if (!command) return { problem: `agent command "${this.launch.command}" not found (PATH of the agent)` };
    return this.hasModel() ? { path: command } : { problem: NO_CREDENTIALS };
  }

  /** The demo model, or credentials for a real one (read each time: a login made while the service runs counts). */
  hasModel(): boolean {
    return !this.opts.claude || Boolean(this.demoModel) || hasAgentCredentials(this.config);
  }

  /**
   * The environment, HOME and working directory agents start with, the
   * watchdog told of each: for a driver that runs a command of its own (ACP).
   */
  baseLaunch(): AgentLaunch {
    if (!this.launch) throw new AgentStartError('The local backend is still starting');
    return { ...this.launch, watch: this.watchdog };
  }

  /** The launch with its command resolved now, so installing the agent later needs no restart. */
  async resolvedLaunch(): Promise<AgentLaunch> {
    const launch = this.launch;
    if (!launch) throw new AgentStartError('The local backend is still starting');
    const command = await resolveCommand(launch.command, launch.env.PATH);
    if (!command)
      throw new AgentStartError(`The agent command "${launch.command}" was not found on the agent's PATH; install Claude Code or set PALIADIN_AGENT_COMMAND`);
    // Started without a model, Claude Code would only sit at its login screen (or fail) until the start timeout.
    if (!this.hasModel()) throw new AgentStartError(`The agent cannot answer: ${NO_CREDENTIALS}`);
    return { ...launch, command, watch: this.watchdog };
  }
}
