import path from 'node:path';
import type { Env } from './env.js';

/**
 * The validated configuration, injected wherever a setting is needed.
 * Holds the Env as parsed plus the few values derived from it, so that no
 * other file re-derives a default.
 */
export class AppConfig {
  readonly dataDir: string;
  readonly responseDir: string;

  constructor(readonly env: Env) {
    this.dataDir = path.resolve(env.PALIADIN_DATA_DIR);
    this.responseDir = path.resolve(env.PALIADIN_RESPONSE_DIR ?? path.join(this.dataDir, 'responses'));
  }

  get isProduction(): boolean {
    return this.env.NODE_ENV === 'production';
  }

  /** Empty owner list = every authenticated user may chat (DESIGN section 2). */
  isOwnerEmail(email: string | undefined): boolean {
    return !!email && this.env.PALIADIN_OWNER_EMAILS.includes(email.toLowerCase());
  }
}
