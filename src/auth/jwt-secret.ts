import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AppConfig } from '../config/app-config.js';

/**
 * The HS256 secret of incoming user tokens. Production configures one, or
 * takes only an identity provider's tokens (PALIADIN_JWT_JWKS_URL): then
 * there is none, and HS256 tokens are refused. In development a random one
 * is generated once and kept in the data dir, so tokens minted by
 * `npm run token` keep working across restarts.
 */
export function sharedJwtSecret(config: AppConfig): Uint8Array<ArrayBuffer> | undefined {
  const configured = config.env.PALIADIN_JWT_SECRET;
  if (configured) return new TextEncoder().encode(configured);
  if (config.isProduction) return undefined;
  const file = path.join(config.dataDir, 'dev-jwt-secret');
  try {
    return new TextEncoder().encode(readFileSync(file, 'utf8').trim());
  } catch {
    mkdirSync(config.dataDir, { recursive: true });
    const secret = randomBytes(32).toString('base64url');
    writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
    return new TextEncoder().encode(secret);
  }
}

/** The HS256 secret, for what cannot do without one (minting a token): an error naming the variable when there is none. */
export function resolveJwtSecret(config: AppConfig): Uint8Array {
  const secret = sharedJwtSecret(config);
  if (!secret) throw new Error('PALIADIN_JWT_SECRET is not set: this instance takes only the tokens of its identity provider');
  return secret;
}
