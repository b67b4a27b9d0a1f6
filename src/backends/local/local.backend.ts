import type { AppConfig } from '../../config/app-config.js';
import type { AgentSessionStore } from './agent-session-store.js';
import { AcpLocalBackend } from './acp/acp.backend.js';
import { acpAgentKind } from './acp/acp-agents.js';
import { PtyLocalBackend } from './pty/pty.backend.js';
import { StreamJsonLocalBackend } from './stream-json/stream-json.backend.js';

export type LocalBackend = PtyLocalBackend | StreamJsonLocalBackend | AcpLocalBackend;

/**
 * PALIADIN_BACKEND=local: Claude Code on this host, driven the way
 * PALIADIN_LOCAL_DRIVER says (README: The local backend). Each driver is a
 * folder of its own; what both share (launch, demo model) stays here.
 */
export function createLocalBackend(config: AppConfig, sessions: AgentSessionStore): LocalBackend {
  const driver = config.env.PALIADIN_LOCAL_DRIVER;
  switch (driver) {
    case 'pty':
      return new PtyLocalBackend(config);
    case 'stream-json':
      return new StreamJsonLocalBackend(config, sessions);
    case 'acp':
      return new AcpLocalBackend(config, sessions);
    default: {
      const unknown: never = driver;
      throw new Error(`PALIADIN_LOCAL_DRIVER: unknown driver "${String(unknown)}"`);
    }
  }
}

/** The driver as sessions show it and conversations are stored under: `acp:<agent>` for ACP (one agent's id is not another's). */
export function localDriverName(env: Pick<AppConfig['env'], 'PALIADIN_LOCAL_DRIVER' | 'PALIADIN_ACP_AGENT' | 'PALIADIN_ACP_COMMAND'>): string {
  return env.PALIADIN_LOCAL_DRIVER === 'acp' ? `acp:${acpAgentKind(env).name}` : env.PALIADIN_LOCAL_DRIVER;
}
