import { createHash } from 'node:crypto';

/** The namespace of user ids made from an identity provider's `iss` and `sub` (docs/api.md): fixed, so the ids are stable. */
export const PROVIDER_USER_NAMESPACE = '3d5f8a0e-7b1c-5e2a-9c4d-6f0b1a2e3c4d';

/** A name-based UUID (RFC 9562, version 5: SHA-1 of the namespace's bytes and the name's UTF-8). */
export function uuidV5(name: string, namespace: string): string {
  const hash = createHash('sha1')
    .update(Buffer.from(namespace.replace(/-/g, ''), 'hex'))
    .update(name, 'utf8')
    .digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
