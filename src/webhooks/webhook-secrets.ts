import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** A new endpoint secret in the Standard Webhooks form: `whsec_` and 32 random bytes in base64. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/**
 * Seals endpoint secrets at rest (docs/webhooks.md): AES-256-GCM under a key
 * derived with HKDF-SHA256 from configuration. They must be readable again
 * to sign, so they cannot be hashed like API keys; a database dump without
 * the configuration does not give them away.
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(keyMaterial: Uint8Array) {
    this.key = Buffer.from(hkdfSync('sha256', keyMaterial, 'paliadin', 'webhook secrets v1', 32));
  }

  /** `v1.<iv>.<ciphertext>.<tag>`, base64url. */
  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['v1', iv, body, cipher.getAuthTag()].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
  }

  /** Throws when the sealed text was made under another key, or tampered with. */
  open(sealed: string): string {
    const [version, iv, body, tag] = sealed.split('.');
    if (version !== 'v1' || !iv || !body || !tag) throw new Error('not a sealed webhook secret');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  }
}
