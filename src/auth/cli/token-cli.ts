import path from 'node:path';
import { parseArgs } from 'node:util';
import { exitWithError, loadCliConfig } from '../../config/load-cli-config.js';
import { DEV_KEY_ALGS, mintKeyToken, type DevKeyAlg } from '../dev-key-token.js';
import { devUserId, mintDevToken } from '../dev-token.js';
import { EMAIL_RE } from '../jwt-verifier.js';

const USAGE =
  'usage: npm run token -- --email you@example.com [--ttl seconds] [--sub id]\n' +
  '       npm run token -- --email you@example.com --key dev-key.pem [--alg RS256|PS256|ES256|EdDSA] [--iss issuer] [--aud audience]';

/**
 * npm run token: an HS256 user token signed with the configured secret; with
 * --key, an asymmetric one as an identity provider signs it (the key and its
 * JWKS are made on first use; see docs/api.md).
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      email: { type: 'string' },
      ttl: { type: 'string', default: '86400' },
      sub: { type: 'string' },
      key: { type: 'string' },
      alg: { type: 'string', default: 'RS256' },
      iss: { type: 'string', default: 'paliadin-dev' },
      aud: { type: 'string' },
    },
  });
  if (!values.email || !EMAIL_RE.test(values.email)) throw new Error(USAGE);
  const ttl = Number(values.ttl);
  if (!Number.isInteger(ttl) || ttl <= 0) throw new Error('--ttl must be a positive number of seconds');
  const sub = values.sub ?? devUserId(values.email);
  if (!values.key) {
    process.stdout.write(`${await mintDevToken(loadCliConfig(), values.email, ttl, sub)}\n`);
    return;
  }
  if (!(DEV_KEY_ALGS as readonly string[]).includes(values.alg)) throw new Error(`--alg must be one of ${DEV_KEY_ALGS.join(', ')}`);
  const keyFile = path.resolve(values.key);
  const minted = await mintKeyToken(keyFile, {
    email: values.email.toLowerCase(),
    sub,
    ttlSeconds: ttl,
    alg: values.alg as DevKeyAlg,
    issuer: values.iss,
    audience: values.aud,
  });
  if (minted.created) {
    process.stderr.write(
      `Made ${keyFile} and its public key set; let the app trust it with:\n  PALIADIN_JWT_JWKS_URL=file://${minted.jwksFile} PALIADIN_JWT_ISSUER=${values.iss}\n`,
    );
  }
  process.stdout.write(`${minted.token}\n`);
}

main().catch(exitWithError);
