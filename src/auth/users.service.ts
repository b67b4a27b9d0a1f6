import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { CallBatcher } from '../database/call-batcher.js';
import { RecentMap } from './recent-map.js';

// The upsert below only rewrites last_seen_at once a minute: within that minute, a user this instance
// recorded with the same email needs no statement at all (one round trip less on every request).
const RECORDED_FOR_MS = 60_000;
const RECORDED_MAX = 10_000;

/** Users exist because a token named them: upserted from its claims. */
@Injectable()
export class UsersService {
  /** id -> the email this instance upserted it with lately. */
  private readonly recorded = new RecentMap<string>(RECORDED_MAX);
  /** A crowd of new users' first requests: their upserts go together (one per user in a call). */
  private readonly upserts = new CallBatcher<{ id: string; email: string }, true>({
    call: (users) => this.upsert(users),
    key: (u) => u.id,
    onePerKey: true,
    maxCalls: 4,
    maxBatch: 250,
  });

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Records the user behind a verified token. last_seen_at is only rewritten
   * once a minute so a busy client does not turn every request into a write.
   * Returns false when the email already belongs to another user id: the
   * token's sub is the identity, and handing an existing user's turns to a
   * different sub would show one person another's conversations.
   */
  async upsertFromClaims(id: string, email: string): Promise<boolean> {
    if (this.recorded.get(id) === email) return true;
    try {
      await this.upserts.submit({ id, email });
      this.recorded.set(id, email, Date.now() + RECORDED_FOR_MS);
      return true;
    } catch (e) {
      // unique_violation on email (a call of several that hit one is tried again one by one: this is the one)
      if ((e as { code?: string }).code === '23505') return false;
      throw e;
    }
  }

  private async upsert(users: { id: string; email: string }[]): Promise<true[]> {
    await this.db.query(
      `INSERT INTO users (id, email) SELECT * FROM unnest($1::uuid[], $2::text[])
       ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email, last_seen_at = now()
       WHERE users.email <> EXCLUDED.email OR users.last_seen_at < now() - interval '1 minute'`,
      [users.map((u) => u.id), users.map((u) => u.email)],
    );
    return users.map(() => true);
  }

  async idForEmail(email: string): Promise<string | undefined> {
    const rows: { id: string }[] = await this.db.query(`SELECT id FROM users WHERE email = $1`, [email.toLowerCase()]);
    return rows[0]?.id;
  }
}
