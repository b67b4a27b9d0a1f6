import { parseArgs } from 'node:util';
import { exitWithError, loadCliConfig } from '../../config/load-cli-config.js';
import { devUserId, mintDevToken } from '../dev-token.js';
import { EMAIL_RE } from '../jwt-verifier.js';

/** npm run token -- --email you@example.com [--ttl 3600] [--sub <uuid>] */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { email: { type: 'string' }, ttl: { type: 'string', default: '86400' }, sub: { type: 'string' } },
  });
  if (!values.email || !EMAIL_RE.test(values.email)) throw new Error('usage: npm run token -- --email you@example.com [--ttl seconds] [--sub uuid]');
  const ttl = Number(values.ttl);
  if (!Number.isInteger(ttl) || ttl <= 0) throw new Error('--ttl must be a positive number of seconds');
  const config = loadCliConfig();
  process.stdout.write(`${await mintDevToken(config, values.email, ttl, values.sub ?? devUserId(values.email))}\n`);
}

main().catch(exitWithError);
