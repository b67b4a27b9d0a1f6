import {
  BadRequestException,
  ForbiddenException,
  Inject,
  Injectable,
  NotFoundException,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppConfig } from '../config/app-config.js';
import { ApiKeysService, looksLikeApiKey } from './api-keys.service.js';
import type { AuthedRequest } from './current-user.decorator.js';
import { JwtVerifier, RefusedTokenError, UnusableClaimsError } from './jwt-verifier.js';
import { mayAdminister, type Principal } from './principal.js';
import { ACCESS_KEY, STREAM_AUTH_KEY, TOKEN_COOKIE, type Access } from './route-access.js';
import { hasScope, type Scope } from './scopes.js';
import { UsersService } from './users.service.js';

/**
 * The one global guard. Routes are private unless marked @Public(); Paliadin
 * and admin routes pretend not to exist (the exact 404 of an unrouted path)
 * for callers who may not use them, so their existence is not confirmed.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(AppConfig) private readonly config: AppConfig,
    private readonly jwt: JwtVerifier,
    private readonly apiKeys: ApiKeysService,
    private readonly users: UsersService,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    const access = this.reflector.getAllAndOverride<Access | undefined>(ACCESS_KEY, targets) ?? { area: 'user' };
    if (access.area === 'public') return true;

    const req = ctx.switchToHttp().getRequest<AuthedRequest>();
    // PALIADIN_ENABLED=false: the Paliadin routes and their admin API do not exist.
    if (access.area !== 'user' && !this.config.env.PALIADIN_ENABLED) throw unrouted(req);

    const token = this.tokenOf(req, this.reflector.getAllAndOverride<boolean>(STREAM_AUTH_KEY, targets));
    // Admin routes do not confirm they exist to anyone who may not use them, signed in or not
    // (not even by saying what is wrong with their token).
    const hideOnAdmin = (e: unknown): never => {
      throw access.area === 'admin' && (e instanceof UnusableClaimsError || e instanceof RefusedTokenError) ? unrouted(req) : e;
    };
    const principal = token ? await this.authenticate(token).catch(hideOnAdmin) : undefined;
    if (!principal && access.area === 'admin') throw unrouted(req);
    if (!principal) throw new UnauthorizedException('A valid bearer token or API key is required');
    req.principal = principal;

    switch (access.area) {
      case 'admin':
        if (!mayAdminister(principal, (e) => this.config.isOwnerEmail(e))) throw unrouted(req);
        return true;
      case 'paliadin':
        if (!this.mayUsePaliadin(principal)) throw unrouted(req);
        this.requireScope(principal, access.scope);
        return true;
      case 'user':
        if (access.scope) this.requireScope(principal, access.scope);
        return true;
    }
  }

  private tokenOf(req: AuthedRequest, streamRoute: boolean): string | undefined {
    const query = streamRoute ? req.query.access_token : undefined;
    // The guard runs before the pipes that check query parameters, so it checks its own.
    if (Array.isArray(query)) throw new BadRequestException('access_token must be given once');
    const header = req.headers.authorization;
    if (header) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
      return m?.[1];
    }
    if (!streamRoute) return undefined;
    const cookie = (req.cookies as Record<string, string> | undefined)?.[TOKEN_COOKIE];
    if (cookie) return cookie;
    return typeof query === 'string' && query.length > 0 ? query : undefined;
  }

  private async authenticate(token: string): Promise<Principal | undefined> {
    if (looksLikeApiKey(token)) return this.apiKeys.verify(token);
    const claims = await this.jwt.verify(token);
    if (!claims) return undefined;
    const agentTag = await this.users.upsertFromClaims(claims.sub, claims.email);
    if (!agentTag) return undefined;
    return { userId: claims.sub, email: claims.email, agentTag, via: 'jwt', scopes: 'user' };
  }

  /** PALIADIN_OWNER_EMAILS set: only those users; empty: every authenticated user. */
  private mayUsePaliadin(p: Principal): boolean {
    return this.config.env.PALIADIN_OWNER_EMAILS.length === 0 || this.config.isOwnerEmail(p.email);
  }

  private requireScope(p: Principal, scope: Scope | readonly Scope[]): void {
    const anyOf: readonly Scope[] = typeof scope === 'string' ? [scope] : scope;
    if (p.scopes !== 'user' && !anyOf.some((s) => hasScope(p.scopes as readonly Scope[], s))) {
      throw new ForbiddenException(`This API key lacks the ${anyOf.join(' or ')} scope`);
    }
  }
}

/** Exactly what Nest answers for a path with no route. */
export function unrouted(req: { method: string; originalUrl?: string; url: string }): NotFoundException {
  return new NotFoundException(`Cannot ${req.method} ${req.originalUrl ?? req.url}`);
}
