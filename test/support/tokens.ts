import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { devUserId } from '../../src/auth/dev-token.js';
import { TEST_JWT_SECRET } from './test-app.js';

const secret = new TextEncoder().encode(TEST_JWT_SECRET);

/** A valid user token; each field can be bent to test a rejection. */
export async function userToken(opts: { email?: string; sub?: string; expiresIn?: number | null; secret?: Uint8Array; alg?: string } = {}): Promise<string> {
  const jwt = new SignJWT({ email: opts.email ?? 'user@example.com', role: 'authenticated' })
    .setProtectedHeader({ alg: opts.alg ?? 'HS256', typ: 'JWT' })
    .setSubject(opts.sub ?? randomUUID())
    .setIssuedAt();
  if (opts.expiresIn !== null) jwt.setExpirationTime(Math.floor(Date.now() / 1000) + (opts.expiresIn ?? 3600));
  return jwt.sign(opts.secret ?? secret);
}

/** One stable user id per email across all test files (they share one database). */
export const subFor = (email: string): string => devUserId(email);

export function tokenFor(email: string): Promise<string> {
  return userToken({ email, sub: subFor(email) });
}
