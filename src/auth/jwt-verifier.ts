import { webcrypto } from 'node:crypto';
import { Inject, Injectable, UnauthorizedException, type OnApplicationBootstrap } from '@nestjs/common';
import { SignJWT, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import { AppConfig } from '../config/app-config.js';
import { unstorableText } from '../http/raw-input.js';
import { JwksUnavailableError, ProviderKeys, type JwksState } from './jwks-keys.js';
import { resolveJwtSecret, sharedJwtSecret } from './jwt-secret.js';
import { RecentMap } from './recent-map.js';
import { PROVIDER_USER_NAMESPACE, uuidV5 } from './uuid-v5.js';

export interface TokenClaims {
  sub: string;
  email: string;
}

/** What a token's `sub` and `email` must look like; the CLIs check their arguments with the same. */
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// At most 254 characters (RFC 5321); a longer one would not even fit the unique index on users.email.
export const EMAIL_RE = /^(?=.{3,254}$)[^\s@]+@[^\s@]+$/;

/** What an identity provider may sign with; each only with a key of its own type (jose matches `alg` to the key's `kty`). */
const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

// A verified token is taken on trust (until its exp) for at most this long, and this many at once.
const VERIFIED_FOR_MS = 60_000;
const VERIFIED_MAX = 10_000;

/**
 * Verifies incoming user tokens, `exp` required, of two kinds told apart by
 * their `alg` (docs/api.md): HS256 with the shared secret, Supabase-style
 * claims; and, with PALIADIN_JWT_JWKS_URL, an identity provider's
 * asymmetric tokens, verified with a key of its JWKS, `iss` and `aud`
 * checked when configured. Each kind is verified with its own algorithms
 * only, so `alg: none` and a token "signed" with a public key as an HMAC
 * secret are refused.
 */
@Injectable()
export class JwtVerifier implements OnApplicationBootstrap {
  /** Undefined when only an identity provider's tokens are taken (production without PALIADIN_JWT_SECRET). */
  private readonly secret: Uint8Array<ArrayBuffer> | undefined;
  private readonly providers: ProviderKeys[];
  /** Tokens verified lately, by their exact text (signature included): a client sends the same one with every request. */
  private readonly verified = new RecentMap<TokenClaims>(VERIFIED_MAX);
  /**
   * The secret imported as a WebCrypto HMAC key once: given the raw bytes, jose imports them
   * anew for every token (about a third of a check's 75 µs of CPU, paid by each new user of a crowd).
   */
  private sharedKey?: Promise<webcrypto.CryptoKey>;

  constructor(@Inject(AppConfig) private readonly config: AppConfig) {
    this.secret = sharedJwtSecret(config);
    const e = config.env;
    // Nothing is fetched here: the app starts whether or not the provider can be reached.
    const o = { timeoutMs: e.PALIADIN_JWKS_TIMEOUT_MS, cooldownMs: e.PALIADIN_JWKS_COOLDOWN_MS, maxAgeMs: e.PALIADIN_JWKS_MAX_AGE_MS };
    this.providers = e.PALIADIN_JWT_JWKS_URL.map((url) => new ProviderKeys(url, o));
  }

  onApplicationBootstrap(): void {
    for (const p of this.providers) p.warm();
  }

  /** Each configured JWKS: its keys, when it was fetched, what went wrong last (for /health). */
  jwksState(): JwksState[] {
    return this.providers.map((p) => p.state());
  }

  /**
   * The claims of a valid token, or undefined for a token that is not ours
   * (bad signature, algorithm, expiry). A token we signed whose claims cannot
   * name a user gets a 401 that says which claim: its holder can do nothing
   * with it, and nothing is revealed that the signer does not know.
   */
  async verify(token: string): Promise<TokenClaims | undefined> {
    // A signature check through WebCrypto costs tens of microseconds of CPU and a trip through the thread
    // pool: the same bytes verified a moment ago need no second check, only the clock.
    const known = this.verified.get(token);
    if (known) return known;
    const checked = await this.check(token);
    if (checked) this.verified.set(token, checked.claims, Math.min(checked.untilMs, Date.now() + VERIFIED_FOR_MS));
    return checked?.claims;
  }

  private async check(token: string): Promise<{ claims: TokenClaims; untilMs: number } | undefined> {
    let alg: string | undefined;
    try {
      ({ alg } = decodeProtectedHeader(token));
    } catch {
      return undefined;
    }
    if (alg && ASYMMETRIC.includes(alg) && this.providers.length > 0) return this.checkAsymmetric(token);
    return this.checkShared(token);
  }

  /** A token of an identity provider: a key of its JWKS, its issuer and audience, its claims mapped to a user. */
  private async checkAsymmetric(token: string): Promise<{ claims: TokenClaims; untilMs: number } | undefined> {
    const e = this.config.env;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, (header, jws) => this.providerKey(header, jws), {
        algorithms: ASYMMETRIC,
        requiredClaims: ['exp'],
        issuer: e.PALIADIN_JWT_ISSUER,
        audience: e.PALIADIN_JWT_AUDIENCE.length > 0 ? e.PALIADIN_JWT_AUDIENCE : undefined,
        clockTolerance: e.PALIADIN_JWT_CLOCK_SKEW_S,
      }));
    } catch (err) {
      throw new RefusedTokenError(whyRefused(err));
    }
    const raw = payload[e.PALIADIN_JWT_USER_ID_CLAIM];
    if ((typeof raw !== 'string' || raw === '') && typeof raw !== 'number') throw new UnusableClaimsError(e.PALIADIN_JWT_USER_ID_CLAIM, 'is missing');
    const id = String(raw);
    // A provider's own ids (Auth0's "auth0|…", Google's digits) become a UUID that is the same at every sign-in.
    const sub = UUID_RE.test(id) ? id : uuidV5(`${payload.iss ?? ''}\n${id}`, PROVIDER_USER_NAMESPACE);
    return {
      claims: { sub: sub.toLowerCase(), email: this.email(payload[e.PALIADIN_JWT_EMAIL_CLAIM], e.PALIADIN_JWT_EMAIL_CLAIM) },
      untilMs: Number(payload.exp) * 1000,
    };
  }

  /** The key of the first JWKS that has one for this token; why none has, naming the cause. */
  private async providerKey(...args: Parameters<ProviderKeys['key']>): Promise<Awaited<ReturnType<ProviderKeys['key']>>> {
    let unavailable: JwksUnavailableError | undefined;
    for (const p of this.providers) {
      try {
        return await p.key(...args);
      } catch (err) {
        if (err instanceof JwksUnavailableError) unavailable ??= err;
        else if (!(err instanceof errors.JWKSNoMatchingKey)) throw err;
      }
    }
    throw unavailable ?? new errors.JWKSNoMatchingKey();
  }

  private email(value: unknown, claim: string): string {
    if (typeof value !== 'string' || !EMAIL_RE.test(value)) throw new UnusableClaimsError(claim, 'must be an email address of at most 254 characters');
    const why = unstorableText(value);
    if (why) throw new UnusableClaimsError(claim, why);
    return value.toLowerCase();
  }

  /** An HS256 token signed with PALIADIN_JWT_SECRET. */
  private async checkShared(token: string): Promise<{ claims: TokenClaims; untilMs: number } | undefined> {
    if (!this.secret) return undefined;
    let payload: JWTPayload;
    try {
      this.sharedKey ??= webcrypto.subtle.importKey('raw', this.secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
      ({ payload } = await jwtVerify(token, await this.sharedKey, { algorithms: ['HS256'], requiredClaims: ['exp', 'sub'] }));
    } catch {
      return undefined;
    }
    const { sub, email } = payload;
    if (typeof sub !== 'string' || !UUID_RE.test(sub)) throw new UnusableClaimsError('sub', 'must be a UUID');
    // requiredClaims made jose check that exp is there (and a number).
    return { claims: { sub: sub.toLowerCase(), email: this.email(email, 'email') }, untilMs: Number(payload.exp) * 1000 };
  }

  /** Mints a token with the same secret: the dev token CLI and the tests use it. */
  sign(claims: TokenClaims, ttlSeconds: number): Promise<string> {
    return signUserToken(this.secret ?? resolveJwtSecret(this.config), claims, ttlSeconds);
  }
}

/** An identity provider's token that does not verify, saying why (its keys cannot be fetched, it expired, its issuer …). */
export class RefusedTokenError extends UnauthorizedException {
  constructor(why: string) {
    super(`The token was refused: ${why}`);
  }
}

/** A correctly signed token whose claims cannot identify a user (not a 500, whatever the claims hold). */
export class UnusableClaimsError extends UnauthorizedException {
  constructor(claim: string, why: string) {
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

/** Why an identity provider's token was refused, in words its holder can act on (nothing the provider does not publish). */
function whyRefused(err: unknown): string {
  if (err instanceof JwksUnavailableError) return err.message;
  if (err instanceof errors.JWKSNoMatchingKey) return "no key of the identity provider's JWKS matches its kid and alg";
  if (err instanceof errors.JWTExpired) return 'it has expired';
  if (err instanceof errors.JWTClaimValidationFailed) return `its ${err.claim} claim ${err.reason === 'missing' ? 'is missing' : 'is not the expected one'}`;
  if (err instanceof errors.JOSEAlgNotAllowed) return 'its algorithm is not accepted';
  return 'its signature does not verify';
}
