import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerGuard, ThrottlerModule, type ThrottlerModuleOptions } from '@nestjs/throttler';
import type { Request } from 'express';
import type { AuthedRequest } from '../auth/current-user.decorator.js';
import { AppConfig } from '../config/app-config.js';

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

/**
 * The POST rate limit as a module of its own, imported after AuthModule:
 * global guards run in the order their modules are imported, and the limit
 * needs the caller the auth guard found (http-basics tests hold it to that).
 */
@Module({
  imports: [ThrottlerModule.forRootAsync({ inject: [AppConfig], useFactory: postRateLimit })],
  providers: [{ provide: APP_GUARD, useClass: ThrottlerGuard }],
})
export class PostRateLimitModule {}
