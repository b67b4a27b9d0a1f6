import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull } from 'typeorm';
import { ApiKey } from './api-key.entity.js';
import type { Principal } from './principal.js';
import type { Scope } from './scopes.js';
import { UsersService } from './users.service.js';

/** Keys look like `pal_<prefix>_<secret>`; the prefix is not secret and finds the row. */
const KEY_RE = /^pal_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export function looksLikeApiKey(token: string): boolean {
  return token.startsWith('pal_');
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

export interface CreatedKey {
  key: string;
  row: ApiKey;
}

@Injectable()
export class ApiKeysService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly users: UsersService,
  ) {}

  /**
   * Creates a key acting as this user (recorded with this email if new).
   * The key is returned once and never stored.
   */
  async create(opts: { userId: string; email: string; name: string; scopes: Scope[]; expiresAt?: Date }): Promise<CreatedKey> {
    const userId = opts.userId;
    if (!(await this.users.upsertFromClaims(userId, opts.email.toLowerCase()))) {
      throw new Error(`${opts.email} already belongs to another user id than ${userId}`);
    }
    const prefix = randomBytes(6).toString('hex');
    const key = `pal_${prefix}_${randomBytes(32).toString('base64url')}`;
    const row = await this.db.getRepository(ApiKey).save({
      userId,
      name: opts.name,
      prefix,
      hash: sha256(key).toString('hex'),
      scopes: opts.scopes,
      expiresAt: opts.expiresAt ?? null,
    });
    return { key, row };
  }

  /**
   * The principal of a valid key. Unknown, malformed, revoked and expired keys
   * all give undefined, so the guard answers every one with the same 401.
   */
  async verify(presented: string): Promise<Principal | undefined> {
    const m = KEY_RE.exec(presented);
    if (!m) return undefined;
    const rows: (ApiKey & { email: string; agentTag: string })[] = await this.db.query(
      `SELECT k.id, k.user_id AS "userId", k.hash, k.scopes, k.expires_at AS "expiresAt", k.revoked_at AS "revokedAt", u.email,
              u.agent_tag AS "agentTag"
       FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.prefix = $1`,
      [m[1]],
    );
    const row = rows.at(0);
    // Hash even when no row matched, so timing does not reveal which prefixes exist.
    const presentedHash = sha256(presented);
    const storedHash = row ? Buffer.from(row.hash, 'hex') : sha256('');
    const match = storedHash.length === presentedHash.length && timingSafeEqual(storedHash, presentedHash);
    if (!row || !match || row.revokedAt || (row.expiresAt && row.expiresAt.getTime() <= Date.now())) return undefined;
    // Best effort; a failed bookkeeping write must not fail the request.
    this.db.query(`UPDATE api_keys SET last_used_at = now() WHERE id = $1`, [row.id]).catch(() => undefined);
    return { userId: row.userId, email: row.email, agentTag: row.agentTag, via: 'api_key', scopes: row.scopes, apiKeyId: row.id };
  }

  async revoke(idOrPrefix: string): Promise<boolean> {
    const byId = /^[0-9a-f-]{36}$/i.test(idOrPrefix);
    const res = await this.db
      .getRepository(ApiKey)
      .update({ ...(byId ? { id: idOrPrefix } : { prefix: idOrPrefix }), revokedAt: IsNull() }, { revokedAt: new Date() });
    return (res.affected ?? 0) > 0;
  }

  async list(): Promise<(ApiKey & { email: string })[]> {
    return this.db.query(
      `SELECT k.id, k.name, k.prefix, k.scopes, k.created_at AS "createdAt", k.last_used_at AS "lastUsedAt",
              k.expires_at AS "expiresAt", k.revoked_at AS "revokedAt", u.email
       FROM api_keys k JOIN users u ON u.id = k.user_id ORDER BY k.created_at`,
    );
  }
}
