import { parseArgs } from 'node:util';
import path from 'node:path';
import { exitWithError, loadCliConfig } from '../../../config/load-cli-config.js';
import { configuredAgentHome } from '../agent-launch.js';
import { installSkill } from '../agent-home.js';

/** npm run install-skill [-- --home <dir>]: copies skills/paliadin into <home>/.claude/skills/. */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { home: { type: 'string' } } });
  const home = path.resolve(values.home ?? configuredAgentHome(loadCliConfig()));
  process.stdout.write(`Installed the Paliadin skill: ${await installSkill(home)}\n`);
}

main().catch(exitWithError);
