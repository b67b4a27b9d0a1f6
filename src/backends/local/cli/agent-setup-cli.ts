import { parseArgs } from 'node:util';
import path from 'node:path';
import { exitWithError, loadCliConfig } from '../../../config/load-cli-config.js';
import { configuredAgentHome } from '../agent-launch.js';
import { prepareAgentHome } from '../agent-home.js';

/**
 * npm run agent:setup [-- --home <dir>]
 * Prepares Claude Code to run unattended under the service, for the HOME the
 * service gives it (PALIADIN_AGENT_HOME, else yours): onboarding done, the
 * agent's working directory trusted, ANTHROPIC_API_KEY approved when set,
 * Write allowed in the response directory only, and the Paliadin skill installed.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { home: { type: 'string' } } });
  const config = loadCliConfig();
  const home = path.resolve(values.home ?? configuredAgentHome(config));
  const done = await prepareAgentHome({ home, cwd: config.agentCwd, responseDir: config.responseDir, apiKey: config.env.ANTHROPIC_API_KEY });
  process.stdout.write(`Claude Code prepared for Paliadin in ${home}:\n${done.map((d) => `  - ${d}`).join('\n')}\n`);
  if (!config.env.ANTHROPIC_API_KEY) {
    process.stdout.write('No ANTHROPIC_API_KEY set: log in once with `HOME=' + home + ' claude` (then /login), or set the key and run this again.\n');
  }
}

main().catch(exitWithError);
