import type { ThrottlerModuleOptions } from '@nestjs/throttler';
import type { Request } from 'express';
import type { AuthedRequest } from '../auth/current-user.decorator.js';
import type { AppConfig } from '../config/app-config.js';

/**
 * Whose POST budget a request spends: its caller (the auth guard runs
 * first), so the users behind one reverse proxy do not share one; an
 * anonymous request spends its client address's, which comes from
 * X-Forwarded-For only as PALIADIN_TRUST_PROXY allows.
 */
export function postRateLimitTracker(req: Record<string, unknown>): string {
  const { principal, ip } = req as unknown as AuthedRequest;
  if (principal?.apiKeyId) return `key:${principal.apiKeyId}`;
  if (principal) return `user:${principal.userId}`;
  return `ip:${ip ?? 'unknown'}`;
}

/** PALIADIN_POST_RATE_LIMIT POSTs a minute per caller (per instance). */
export function postRateLimit(config: AppConfig): ThrottlerModuleOptions {
  return {
    throttlers: [{ ttl: 60_000, limit: config.env.PALIADIN_POST_RATE_LIMIT }],
    // Reads and streams are cheap and long-lived; only POSTs start work.
    skipIf: (ctx) => ctx.switchToHttp().getRequest<Request>().method !== 'POST',
    getTracker: postRateLimitTracker,
  };
}
