import { Logger } from '@nestjs/common';
import { seconds } from '../../../contract/seconds.js';
import type { AgentLaunch } from '../agent-launch.js';
import { AgentStartError } from '../local-agent-host.js';
import { AgentPane } from './agent-pane.js';
import { isIdle } from './agent-screen.js';

const logger = new Logger('PtyLocalBackend');

/**
 * A new pane for a session, once its agent shows its prompt. An agent that
 * exits first, or shows no prompt within `startTimeoutMs` (a dialog it was
 * not set up to skip), is killed and the start fails naming why.
 */
export async function startPane(session: string, launch: AgentLaunch, signal: AbortSignal, startTimeoutMs: number): Promise<AgentPane> {
  let pane: AgentPane;
  try {
    pane = new AgentPane(session, launch);
  } catch (e) {
    throw new AgentStartError(`The agent command "${launch.command}" could not be started: ${(e as Error).message}`);
  }
  if (await pane.waitFor(isIdle, startTimeoutMs, signal)) return pane;
  const screen = pane.tail();
  const exited = !pane.isAlive;
  await pane.kill();
  if (signal.aborted) throw new AgentStartError('The turn ended while the agent was starting');
  const exit = exited ? await pane.exited : undefined;
  logger.warn({ session, screen }, 'agent did not show its prompt');
  throw new AgentStartError(
    exited
      ? `The agent "${launch.command}" exited (code ${exit?.exitCode}) before showing its prompt`
      : `The agent "${launch.command}" did not show its prompt within ${seconds(startTimeoutMs)}; is it set up to run unattended (npm run agent:setup)?`,
  );
}
