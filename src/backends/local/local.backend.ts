import type { AppConfig } from '../../config/app-config.js';
import type { AgentSessionStore } from './agent-session-store.js';
import { PtyLocalBackend } from './pty/pty.backend.js';
import { StreamJsonLocalBackend } from './stream-json/stream-json.backend.js';

export type LocalBackend = PtyLocalBackend | StreamJsonLocalBackend;

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
    default: {
      const unknown: never = driver;
      throw new Error(`PALIADIN_LOCAL_DRIVER: unknown driver "${String(unknown)}"`);
    }
  }
}
