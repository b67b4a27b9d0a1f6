import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AppConfig } from '../config/app-config.js';

/**
 * The HS256 secret of incoming user tokens. Production must configure one
 * (config validation enforces it); in development a random one is generated
 * once and kept in the data dir, so tokens minted by `npm run token` keep
 * working across restarts.
 */
export function resolveJwtSecret(config: AppConfig): Uint8Array {
  const configured = config.env.PALIADIN_JWT_SECRET;
  if (configured) return new TextEncoder().encode(configured);
  if (config.isProduction) throw new Error('PALIADIN_JWT_SECRET must be set in production');
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
