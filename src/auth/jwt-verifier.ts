import { Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { SignJWT, jwtVerify, type JWTPayload } from 'jose';
import { AppConfig } from '../config/app-config.js';
import { unstorableText } from '../http/raw-input.js';
import { resolveJwtSecret } from './jwt-secret.js';

export interface TokenClaims {
  sub: string;
  email: string;
}

/** What a token's `sub` and `email` must look like; the CLIs check their arguments with the same. */
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// At most 254 characters (RFC 5321); a longer one would not even fit the unique index on users.email.
export const EMAIL_RE = /^(?=.{3,254}$)[^\s@]+@[^\s@]+$/;

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

  /**
   * The claims of a valid token, or undefined for a token that is not ours
   * (bad signature, algorithm, expiry). A token we signed whose claims cannot
   * name a user gets a 401 that says which claim: its holder can do nothing
   * with it, and nothing is revealed that the signer does not know.
   */
  async verify(token: string): Promise<TokenClaims | undefined> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.secret, { algorithms: ['HS256'], requiredClaims: ['exp', 'sub'] }));
    } catch {
      return undefined;
    }
    const { sub, email } = payload;
    if (typeof sub !== 'string' || !UUID_RE.test(sub)) throw new UnusableClaimsError('sub', 'must be a UUID');
    if (typeof email !== 'string' || !EMAIL_RE.test(email)) throw new UnusableClaimsError('email', 'must be an email address of at most 254 characters');
    const why = unstorableText(email);
    if (why) throw new UnusableClaimsError('email', why);
    return { sub: sub.toLowerCase(), email: email.toLowerCase() };
  }

  /** Mints a token with the same secret: the dev token CLI and the tests use it. */
  sign(claims: TokenClaims, ttlSeconds: number): Promise<string> {
    return signUserToken(this.secret, claims, ttlSeconds);
  }
}

/** A correctly signed token whose claims cannot identify a user (not a 500, whatever the claims hold). */
export class UnusableClaimsError extends UnauthorizedException {
  constructor(claim: 'sub' | 'email', why: string) {
    super(`The token's ${claim} claim is unusable: it ${why}`);
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
