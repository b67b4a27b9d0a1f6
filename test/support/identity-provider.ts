import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { subFor } from './tokens.js';
import { SignJWT, calculateJwkThumbprint, exportJWK, exportSPKI, generateKeyPair, type JWK } from 'jose';

type Alg = 'RS256' | 'PS256' | 'ES256' | 'EdDSA';
type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

interface Key {
  kid: string;
  alg: Alg;
  privateKey: PrivateKey;
  jwk: JWK;
  /** The public key as PEM: what an attacker holds, for the HS256 confusion attack. */
  publicPem: string;
}

/**
 * An identity provider on 127.0.0.1, as Keycloak or Auth0 are to the
 * gateway: it publishes its public keys as a JWKS at /jwks.json, signs
 * tokens with their private halves, rotates them, and fails the ways a
 * provider does (`mode`): down (connection refused), 500, garbage, slow (no
 * answer). `fetches` counts the requests for its key set.
 */
export class IdentityProvider {
  readonly issuer = 'https://idp.example.test/realms/paliadin';
  private keys: Key[] = [];
  /** Keys no longer published (rotated out): they can still sign, as a leaked key would. */
  private readonly unpublished = new Set<string>();
  mode: 'ok' | '500' | 'garbage' | 'slow' = 'ok';
  fetches = 0;
  port = 0;
  private server?: http.Server;
  private readonly sockets = new Set<Socket>();

  get jwksUrl(): string {
    return `http://127.0.0.1:${this.port}/jwks.json`;
  }

  async start(port = 0): Promise<void> {
    this.server = http.createServer((req, res) => {
      if (req.url !== '/jwks.json') return void res.writeHead(404).end();
      this.fetches++;
      if (this.mode === 'slow') return; // never answers
      if (this.mode === '500') return void res.writeHead(500).end('oops');
      if (this.mode === 'garbage') return void res.writeHead(200, { 'Content-Type': 'application/json' }).end('<html>not a key set</html>');
      res
        .writeHead(200, { 'Content-Type': 'application/json' })
        .end(JSON.stringify({ keys: this.keys.filter((k) => !this.unpublished.has(k.kid)).map((k) => k.jwk) }));
    });
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((r) => this.server!.listen(port, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Down: the port refuses connections until start(port) again. */
  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => (this.server ? this.server.close(r) : r(undefined)));
    this.server = undefined;
  }

  /** A new signing key, published from now on; its kid. */
  async addKey(alg: Alg = 'RS256'): Promise<string> {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    const base = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(base);
    this.keys.push({ kid, alg, privateKey, jwk: { ...base, kid, alg, use: 'sig' }, publicPem: alg === 'EdDSA' ? '' : await exportSPKI(publicKey) });
    return kid;
  }

  /** Stops publishing a key (a rotation's second half). */
  removeKey(kid: string): void {
    this.unpublished.add(kid);
  }

  publicPem(kid: string): string {
    return this.key(kid).publicPem;
  }

  /** A token signed by key `kid` (the newest by default) with these claims over sensible defaults. */
  async token(
    claims: Record<string, unknown> = {},
    o: { kid?: string; headerKid?: string; expiresIn?: number; notBefore?: number; issuer?: string | null; audience?: string | null } = {},
  ): Promise<string> {
    const key = this.key(o.kid ?? this.keys.filter((k) => !this.unpublished.has(k.kid)).at(-1)!.kid);
    const now = Math.floor(Date.now() / 1000);
    const jwt = new SignJWT({ email: 'idp-user@example.com', ...claims })
      .setProtectedHeader({ alg: key.alg, kid: o.headerKid ?? key.kid, typ: 'JWT' })
      .setIssuedAt()
      .setExpirationTime(now + (o.expiresIn ?? 3600));
    // One user per email, as at a real provider (the gateway's users table keeps an email to one id).
    if (!('sub' in claims)) jwt.setSubject(subFor(typeof claims.email === 'string' ? claims.email : 'idp-user@example.com'));
    if (o.issuer !== null) jwt.setIssuer(o.issuer ?? this.issuer);
    if (o.audience !== null) jwt.setAudience(o.audience ?? 'paliadin');
    if (o.notBefore !== undefined) jwt.setNotBefore(now + o.notBefore);
    return jwt.sign(key.privateKey);
  }

  private key(kid: string): Key {
    const key = this.keys.find((k) => k.kid === kid);
    if (!key) throw new Error(`no key ${kid}`);
    return key;
  }
}
