import { Inject, Injectable } from '@nestjs/common';
import { SignJWT, jwtVerify } from 'jose';
import { AppConfig } from '../config/app-config.js';
import { resolveJwtSecret } from './jwt-secret.js';

export interface TokenClaims {
  sub: string;
  email: string;
}

/** What a token's `sub` and `email` must look like; the CLIs check their arguments with the same. */
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const EMAIL_RE = /^[^\s@]+@[^\s@]+$/;

/**
 * Verifies incoming user tokens: HS256 only (pinning the algorithm refuses
 * `alg: none` and RS/HS confusion), `exp` required, Supabase-style claims.
 */
@Injectable()
export class JwtVerifier {
  private readonly secret: Uint8Array;

  constructor(@Inject(AppConfig) config: AppConfig) {
    this.secret = resolveJwtSecret(config);
  }

  /** The claims of a valid token, or undefined for any invalid one. */
  async verify(token: string): Promise<TokenClaims | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.secret, { algorithms: ['HS256'], requiredClaims: ['exp', 'sub'] });
      const { sub, email } = payload;
      if (typeof sub !== 'string' || !UUID_RE.test(sub)) return undefined;
      if (typeof email !== 'string' || !EMAIL_RE.test(email)) return undefined;
      return { sub: sub.toLowerCase(), email: email.toLowerCase() };
    } catch {
      return undefined;
    }
  }

  /** Mints a token with the same secret: the dev token CLI and the tests use it. */
  sign(claims: TokenClaims, ttlSeconds: number): Promise<string> {
    return signUserToken(this.secret, claims, ttlSeconds);
  }
}

export function signUserToken(secret: Uint8Array, claims: TokenClaims, ttlSeconds: number): Promise<string> {
  return new SignJWT({ email: claims.email, role: 'authenticated' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .sign(secret);
}
