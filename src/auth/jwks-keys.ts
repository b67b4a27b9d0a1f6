import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createLocalJWKSet, createRemoteJWKSet, customFetch, errors, type FlattenedJWSInput, type JWSHeaderParameters, type JSONWebKeySet } from 'jose';

export interface JwksOptions {
  timeoutMs: number;
  cooldownMs: number;
  maxAgeMs: number;
}

/** What /health says about one key set. */
export interface JwksState {
  url: string;
  keys: number;
  fetched_at: string | null;
  error?: string;
}

/** The keys of an identity provider cannot be had now, and none that was fetched before matches. */
export class JwksUnavailableError extends Error {}

type RemoteSet = ReturnType<typeof createRemoteJWKSet>;
type VerifyKey = Awaited<ReturnType<RemoteSet>>;

/**
 * One identity provider's key set: jose's remote JWKS (key selection by
 * `kid`, `alg` and key type, a refetch when a `kid` is unknown), with two
 * things added. Every fetch, whatever asks for it, waits the cooldown after
 * the last try, failed or not (jose only counts successes, so a provider
 * that is down would be asked again for every token with an unknown `kid`).
 * And when the set cannot be fetched (down, slow, answering garbage), the
 * keys fetched before still verify the tokens they signed.
 */
export class ProviderKeys {
  private readonly remote: RemoteSet;
  private lastTryAt = -Infinity;
  private fetchedAt: Date | null = null;
  private error: string | undefined;

  constructor(
    readonly url: string,
    private readonly o: JwksOptions,
  ) {
    this.remote = createRemoteJWKSet(new URL(url), {
      timeoutDuration: o.timeoutMs,
      cooldownDuration: o.cooldownMs,
      cacheMaxAge: o.maxAgeMs,
      [customFetch]: (input: string, init: RequestInit) => this.fetch(input, init),
    });
  }

  /** The key that verifies this token; jose's errors.JWKSNoMatchingKey when none does, JwksUnavailableError when the set cannot be had. */
  async key(header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<VerifyKey> {
    try {
      return await this.remote(header, token);
    } catch (e) {
      if (e instanceof errors.JWKSNoMatchingKey || e instanceof errors.JWKSMultipleMatchingKeys) throw e;
      this.error ??= describe(e);
      const cached = this.remote.jwks();
      if (!cached) throw new JwksUnavailableError(`the keys at ${this.url} cannot be fetched (${this.error})`);
      // The provider is away: the keys it published before are still its keys.
      try {
        return await createLocalJWKSet(cached)(header, token);
      } catch (miss) {
        if (!(miss instanceof errors.JWKSNoMatchingKey)) throw miss;
        throw new JwksUnavailableError(`no key fetched before matches the token, and ${this.url} cannot be fetched now (${this.error})`);
      }
    }
  }

  /** Fetches the set now, in the background: the first token need not wait, and /health has something to say. */
  warm(): void {
    this.remote.reload().catch(() => undefined);
  }

  state(): JwksState {
    return {
      url: this.url,
      keys: this.remote.jwks()?.keys.length ?? 0,
      fetched_at: this.fetchedAt?.toISOString() ?? null,
      ...(this.error ? { error: this.error } : {}),
    };
  }

  private async fetch(input: string, init: RequestInit): Promise<Response> {
    if (Date.now() - this.lastTryAt < this.o.cooldownMs) {
      throw new Error(`not asked again within ${this.o.cooldownMs} ms of the last try${this.error ? ` (${this.error})` : ''}`);
    }
    this.lastTryAt = Date.now();
    try {
      const res = input.startsWith('file:') ? new Response(await readFile(fileURLToPath(input))) : await fetch(input, init);
      const body = await res.text();
      // Checked here as well as by jose, to say in /health and in a 401 what was wrong with it.
      if (res.status !== 200) this.error = `HTTP ${res.status}`;
      else if (!isKeySet(body)) this.error = 'the answer is not a JSON Web Key Set';
      else {
        this.error = undefined;
        this.fetchedAt = new Date();
      }
      return new Response(body, { status: res.status, headers: res.headers });
    } catch (e) {
      this.error = describe(e);
      throw e;
    }
  }
}

function isKeySet(body: string): boolean {
  try {
    return Array.isArray((JSON.parse(body) as Partial<JSONWebKeySet>).keys);
  } catch {
    return false;
  }
}

function describe(e: unknown): string {
  if (e instanceof errors.JWKSTimeout || (e as Error | undefined)?.name === 'TimeoutError') return 'no answer in time';
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return `${cause.code}${cause.message ? `: ${cause.message}` : ''}`;
  return e instanceof Error ? e.message : String(e);
}
