import { PaliadinError } from './errors.js';

/** What a delivery's body holds (docs/webhooks.md). */
export interface WebhookPayload<D = Record<string, unknown>> {
  type: string;
  timestamp: string;
  data: D;
}

export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? value[0] : value;
}

const refuse = (why: string) => new PaliadinError(0, 'BAD_SIGNATURE', `webhook refused: ${why}`);

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * Checks a delivery the Standard Webhooks way with the Web Crypto API (Node
 * and browsers alike, no dependency): `webhook-signature` holds `v1,<base64
 * HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>">` keyed by the
 * secret's base64 part, and the timestamp is within `toleranceS` of now
 * (replays of old deliveries are refused). `body` is the raw body, exactly
 * as received. Returns the parsed payload; throws PaliadinError
 * BAD_SIGNATURE saying what is wrong.
 */
export async function verifyWebhook<D = Record<string, unknown>>(
  body: string | Uint8Array,
  headers: WebhookHeaders,
  secret: string,
  o: { toleranceS?: number; now?: Date } = {},
): Promise<WebhookPayload<D>> {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures) throw refuse('the webhook-id, webhook-timestamp and webhook-signature headers are required');
  const seconds = Number(timestamp);
  const now = (o.now ?? new Date()).getTime() / 1000;
  if (!Number.isInteger(seconds)) throw refuse('webhook-timestamp is not a number of seconds');
  if (Math.abs(now - seconds) > (o.toleranceS ?? 300)) throw refuse('webhook-timestamp is too far from now');
  let key: CryptoKey;
  try {
    key = await crypto.subtle.importKey('raw', fromBase64(secret.replace(/^whsec_/, '')), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  } catch {
    throw refuse('the secret is not a whsec_ secret');
  }
  const text = typeof body === 'string' ? body : new TextDecoder().decode(body);
  const signed = new TextEncoder().encode(`${id}.${timestamp}.${text}`);
  for (const candidate of signatures.split(' ')) {
    const [version, signature] = candidate.split(',', 2);
    if (version !== 'v1' || !signature) continue;
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = fromBase64(signature);
    } catch {
      continue;
    }
    // crypto.subtle.verify compares in constant time.
    if (await crypto.subtle.verify('HMAC', key, bytes, signed)) return JSON.parse(text) as WebhookPayload<D>;
  }
  throw refuse('no signature matches');
}
