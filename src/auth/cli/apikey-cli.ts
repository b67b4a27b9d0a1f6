import { parseArgs } from 'node:util';
import { DataSource } from 'typeorm';
import { exitWithError, loadCliConfig } from '../../config/load-cli-config.js';
import { withCliDatabase } from '../../database/cli-database.js';
import { ApiKey } from '../api-key.entity.js';
import { ApiKeysService } from '../api-keys.service.js';
import { devUserId } from '../dev-token.js';
import { UUID_RE } from '../jwt-verifier.js';
import { SCOPES, isScope, type Scope } from '../scopes.js';
import { UsersService } from '../users.service.js';

const USAGE = `usage:
  npm run apikey -- create --email a@b.c --scopes ${SCOPES.slice(0, 2).join(',')} [--name label] [--expires-in-days N] [--user-id uuid]
  npm run apikey -- list
  npm run apikey -- revoke <key id or prefix>
scopes: ${SCOPES.join(', ')}`;

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      email: { type: 'string' },
      scopes: { type: 'string' },
      name: { type: 'string' },
      'expires-in-days': { type: 'string' },
      'user-id': { type: 'string' },
    },
  });
  const [verb, arg] = positionals;
  const config = loadCliConfig();
  const run = (fn: (keys: ApiKeysService, users: UsersService) => Promise<void>) =>
    withCliDatabase(
      config,
      (ds: DataSource) => {
        const users = new UsersService(ds);
        return fn(new ApiKeysService(ds, users), users);
      },
      [ApiKey],
    );

  switch (verb) {
    case 'create': {
      const scopes = (values.scopes ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const email = values.email;
      if (!email || scopes.length === 0) throw new Error(USAGE);
      const bad = scopes.filter((s) => !isScope(s));
      if (bad.length) throw new Error(`unknown scope(s): ${bad.join(', ')}; known: ${SCOPES.join(', ')}`);
      const days = values['expires-in-days'] === undefined ? undefined : Number(values['expires-in-days']);
      if (days !== undefined && !(days > 0)) throw new Error('--expires-in-days must be a positive number');
      return run(async (keys, users) => {
        const userId = await resolveUserId(users, email, values['user-id'], config.isProduction);
        const { key, row } = await keys.create({
          userId,
          email,
          name: values.name ?? 'cli',
          scopes: scopes as Scope[],
          expiresAt: days ? new Date(Date.now() + days * 86_400_000) : undefined,
        });
        console.log(`created key ${row.id} (prefix ${row.prefix}) for ${values.email} with scopes ${scopes.join(',')}`);
        console.log('The key is shown once; store it now:');
        console.log(key);
      });
    }
    case 'list':
      return run(async (keys) => {
        for (const k of await keys.list()) {
          const state = k.revokedAt ? 'revoked' : k.expiresAt && k.expiresAt < new Date() ? 'expired' : 'active';
          console.log(`${k.id}  ${k.prefix}  ${k.email}  ${k.scopes.join(',')}  ${state}  ${k.name}`);
        }
      });
    case 'revoke':
      if (!arg) throw new Error(USAGE);
      return run(async (keys) => {
        if (!(await keys.revoke(arg))) throw new Error(`no active key with id or prefix ${arg}`);
        console.log(`revoked ${arg}`);
      });
    default:
      throw new Error(USAGE);
  }
}

/**
 * The user a key acts as. Identity is the sub of that person's tokens, so an
 * email seen before keeps its id; a new one needs --user-id (their sub), except
 * in development, where the id is the one `npm run token` gives that email.
 */
async function resolveUserId(users: UsersService, email: string, given: string | undefined, production: boolean): Promise<string> {
  const known = await users.idForEmail(email);
  if (given) {
    if (!UUID_RE.test(given)) throw new Error('--user-id must be a uuid');
    if (known && known !== given.toLowerCase()) throw new Error(`${email} already belongs to user ${known}`);
    return given.toLowerCase();
  }
  if (known) return known;
  if (!production) return devUserId(email);
  throw new Error(`no user with email ${email} yet: let them sign in once, or pass --user-id <their token's sub>`);
}

main().catch(exitWithError);
