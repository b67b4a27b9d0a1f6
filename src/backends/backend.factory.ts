import type { DataSource } from 'typeorm';
import type { AppConfig } from '../config/app-config.js';
import { AichatBackend } from './aichat/aichat.backend.js';
import type { PaliadinBackend } from './backend.interface.js';
import { DisabledBackend } from './disabled/disabled.backend.js';
import { PgAgentSessionStore } from './pg-agent-session-store.js';
import { RemoteBackend } from './remote/remote.backend.js';

/**
 * Picks the strategy named by PALIADIN_BACKEND; an unknown name stops boot.
 * The local backend is loaded only when chosen: it brings the Claude Agent
 * SDK, node-pty and a headless terminal, memory the other backends do without.
 */
export async function createBackend(config: AppConfig, ds: DataSource): Promise<PaliadinBackend> {
  const kind = config.env.PALIADIN_BACKEND;
  switch (kind) {
    case 'disabled':
      return new DisabledBackend();
    case 'local': {
      const { createLocalBackend, localDriverName } = await import('./local/local.backend.js');
      return createLocalBackend(config, new PgAgentSessionStore(ds, localDriverName(config.env)));
    }
    case 'aichat':
      return new AichatBackend(config);
    case 'remote':
      return new RemoteBackend(config);
    default: {
      const unknown: never = kind;
      throw new Error(`PALIADIN_BACKEND: unknown backend "${String(unknown)}"`);
    }
  }
}
