import { Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { SignJWT, jwtVerify, type JWTPayload } from 'jose';
import { AppConfig } from '../config/app-config.js';
import { unstorableText } from '../http/raw-input.js';
import { resolveJwtSecret } from './jwt-secret.js';
import { RecentMap } from './recent-map.js';

export interface TokenClaims {
  sub: string;
  email: string;
}

/** What a token's `sub` and `email` must look like; the CLIs check their arguments with the same. */
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// At most 254 characters (RFC 5321); a longer one would not even fit the unique index on users.email.
export const EMAIL_RE = /^(?=.{3,254}$)[^\s@]+@[^\s@]+$/;

// A verified token is taken on trust (until its exp) for at most this long, and this many at once.
const VERIFIED_FOR_MS = 60_000;
const VERIFIED_MAX = 10_000;

/**
 * Verifies incoming user tokens: HS256 only (pinning the algorithm refuses
 * `alg: none` and RS/HS confusion), `exp` required, Supabase-style claims.
 */
@Injectable()
export class JwtVerifier {
  private readonly secret: Uint8Array;
  /** Tokens verified lately, by their exact text (signature included): a client sends the same one with every request. */
  private readonly verified = new RecentMap<TokenClaims>(VERIFIED_MAX);

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
    // A signature check through WebCrypto costs about a third of a millisecond, as much as the rest of a
    // request's own work: the same bytes verified a moment ago need no second check, only the clock.
    const known = this.verified.get(token);
    if (known) return known;
    const checked = await this.check(token);
    if (checked) this.verified.set(token, checked.claims, Math.min(checked.untilMs, Date.now() + VERIFIED_FOR_MS));
    return checked?.claims;
  }

  private async check(token: string): Promise<{ claims: TokenClaims; untilMs: number } | undefined> {
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
    // requiredClaims made jose check that exp is there (and a number).
    return { claims: { sub: sub.toLowerCase(), email: email.toLowerCase() }, untilMs: Number(payload.exp) * 1000 };
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
