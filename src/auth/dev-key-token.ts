import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SignJWT, exportJWK, exportPKCS8, generateKeyPair, importPKCS8, calculateJwkThumbprint } from 'jose';

/** The algorithms `npm run token -- --key` signs with. */
export const DEV_KEY_ALGS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const;
export type DevKeyAlg = (typeof DEV_KEY_ALGS)[number];

export interface KeyTokenOptions {
  email: string;
  sub: string;
  ttlSeconds: number;
  alg: DevKeyAlg;
  issuer: string;
  audience?: string;
}

/**
 * A token as an identity provider would sign it, for development: signed
 * with the private key in `keyFile` (PKCS#8 PEM), made on first use with
 * its public half published beside it as a JWKS (`<keyFile>.jwks.json`,
 * which PALIADIN_JWT_JWKS_URL=file://… serves). Returns the token and the
 * JWKS file.
 */
export async function mintKeyToken(keyFile: string, o: KeyTokenOptions): Promise<{ token: string; jwksFile: string; created: boolean }> {
  const jwksFile = `${keyFile}.jwks.json`;
  const created = !existsSync(keyFile);
  if (created) {
    const { privateKey, publicKey } = await generateKeyPair(o.alg, { extractable: true });
    writeFileSync(keyFile, await exportPKCS8(privateKey), { mode: 0o600, flag: 'wx' });
    const jwk = { ...(await exportJWK(publicKey)), alg: o.alg, use: 'sig' };
    writeFileSync(jwksFile, `${JSON.stringify({ keys: [{ ...jwk, kid: await calculateJwkThumbprint(jwk) }] }, null, 2)}\n`);
  }
  const { keys } = JSON.parse(readFileSync(jwksFile, 'utf8')) as { keys: { kid: string; alg: DevKeyAlg }[] };
  const { kid, alg } = keys[0];
  if (alg !== o.alg && !created) throw new Error(`${path.basename(keyFile)} is a ${alg} key: pass --alg ${alg}, or another --key file`);
  const key = await importPKCS8(readFileSync(keyFile, 'utf8'), alg);
  const jwt = new SignJWT({ email: o.email })
    .setProtectedHeader({ alg, kid, typ: 'JWT' })
    .setSubject(o.sub)
    .setIssuer(o.issuer)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + o.ttlSeconds);
  if (o.audience) jwt.setAudience(o.audience);
  return { token: await jwt.sign(key), jwksFile, created };
}
