import { createHash } from 'node:crypto';
import type { AppConfig } from '../config/app-config.js';
import { resolveJwtSecret } from './jwt-secret.js';
import { signUserToken } from './jwt-verifier.js';

/** A stable user id for an email, so every dev token for it is the same user. */
export function devUserId(email: string): string {
  const h = createHash('sha256').update(`paliadin-dev:${email.toLowerCase()}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The owner a development start prints a token for. */
export function devOwnerEmail(config: AppConfig): string {
  return config.env.PALIADIN_OWNER_EMAILS[0] ?? 'owner@example.com';
}

export function mintDevToken(config: AppConfig, email: string, ttlSeconds: number, sub = devUserId(email)): Promise<string> {
  return signUserToken(resolveJwtSecret(config), { sub, email: email.toLowerCase() }, ttlSeconds);
}
