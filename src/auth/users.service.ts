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
  /** id -> the email this instance upserted it with lately, and the user's agent tag. */
  private readonly recorded = new RecentMap<{ email: string; agentTag: string }>(RECORDED_MAX);
  /** A crowd of new users' first requests: their upserts go together (one per user in a call). */
  private readonly upserts = new CallBatcher<{ id: string; email: string }, string>({
    call: (users) => this.upsert(users),
    key: (u) => u.id,
    onePerKey: true,
    maxCalls: 4,
    maxBatch: 250,
  });

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Records the user behind a verified token and answers their agent tag
   * (the database chooses it for a new user). last_seen_at is only rewritten
   * once a minute so a busy client does not turn every request into a write.
   * Answers undefined when the email already belongs to another user id:
   * the token's sub is the identity, and handing an existing user's turns to
   * a different sub would show one person another's conversations.
   */
  async upsertFromClaims(id: string, email: string): Promise<string | undefined> {
    const known = this.recorded.get(id);
    if (known?.email === email) return known.agentTag;
    try {
      const agentTag = await this.upserts.submit({ id, email });
      this.recorded.set(id, { email, agentTag }, Date.now() + RECORDED_FOR_MS);
      return agentTag;
    } catch (e) {
      // unique_violation on email (a call of several that hit one is tried again one by one: this is the one)
      if ((e as { code?: string; constraint?: string }).constraint === 'users_email_key') return undefined;
      throw e;
    }
  }

  private async upsert(users: { id: string; email: string }[]): Promise<string[]> {
    const ids = users.map((u) => u.id);
    for (let attempt = 1; ; attempt++) {
      try {
        // A row the upsert leaves alone (recorded within the minute) answers its tag from the table.
        const rows: { id: string; agent_tag: string | null }[] = await this.db.query(
          `WITH up AS (
             INSERT INTO users (id, email) SELECT * FROM unnest($1::uuid[], $2::text[])
             ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email, last_seen_at = now()
             WHERE users.email <> EXCLUDED.email OR users.last_seen_at < now() - interval '1 minute'
             RETURNING id, agent_tag
           )
           SELECT i.id, coalesce(up.agent_tag, u.agent_tag) AS agent_tag
           FROM unnest($1::uuid[]) AS i(id) LEFT JOIN up ON up.id = i.id LEFT JOIN users u ON u.id = i.id`,
          [ids, users.map((u) => u.email)],
        );
        const tags = new Map(rows.map((r) => [r.id, r.agent_tag]));
        // A row another instance put in after this statement began, and left alone by it: not seen above.
        const unseen = ids.filter((id) => !tags.get(id));
        if (unseen.length > 0) {
          const late: { id: string; agent_tag: string }[] = await this.db.query(`SELECT id, agent_tag FROM users WHERE id = ANY($1::uuid[])`, [unseen]);
          late.forEach((r) => tags.set(r.id, r.agent_tag));
        }
        return ids.map((id) => {
          const tag = tags.get(id);
          if (!tag) throw new Error(`user ${id} is not in the users table after its upsert`);
          return tag;
        });
      } catch (e) {
        // Another instance gave a new user the same tag at the same moment: choosing again sees it taken.
        const err = e as { code?: string; constraint?: string };
        if (err.code !== '23505' || err.constraint !== 'users_agent_tag_key' || attempt === 3) throw e;
      }
    }
  }

  async idForEmail(email: string): Promise<string | undefined> {
    const rows: { id: string }[] = await this.db.query(`SELECT id FROM users WHERE email = $1`, [email.toLowerCase()]);
    return rows[0]?.id;
  }
}
