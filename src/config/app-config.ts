import path from 'node:path';
import type { Env } from './env.js';
import { ConfigError } from './validate-env.js';

/**
 * The validated configuration, injected wherever a setting is needed.
 * Holds the Env as parsed plus the few values derived from it, so that no
 * other file re-derives a default.
 */
export class AppConfig {
  readonly dataDir: string;
  readonly responseDir: string;
  readonly agentCwd: string;
  readonly workspacesDir: string;

  constructor(readonly env: Env) {
    this.dataDir = path.resolve(env.PALIADIN_DATA_DIR);
    this.responseDir = path.resolve(env.PALIADIN_RESPONSE_DIR ?? path.join(this.dataDir, 'responses'));
    this.agentCwd = path.resolve(env.PALIADIN_AGENT_CWD ?? path.join(this.dataDir, 'workspace'));
    this.workspacesDir = path.resolve(env.PALIADIN_WORKSPACES_DIR ?? path.join(this.dataDir, 'workspaces'));
    // The answer path travels inside the envelope `out=<path>]`, which ends at whitespace or ']'.
    if (/[\s\]]/.test(this.responseDir)) {
      throw new ConfigError(`Invalid configuration: PALIADIN_RESPONSE_DIR must not contain spaces or "]" (got "${this.responseDir}")`);
    }
  }

  get isProduction(): boolean {
    return this.env.NODE_ENV === 'production';
  }

  /** Empty owner list = every authenticated user may chat (docs/api.md, the owner gate). */
  isOwnerEmail(email: string | undefined): boolean {
    return !!email && this.env.PALIADIN_OWNER_EMAILS.includes(email.toLowerCase());
  }
}
