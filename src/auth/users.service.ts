import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** Users exist because a token named them: upserted from its claims. */
@Injectable()
export class UsersService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Records the user behind a verified token. last_seen_at is only rewritten
   * once a minute so a busy client does not turn every request into a write.
   * Returns false when the email already belongs to another user id: the
   * token's sub is the identity, and handing an existing user's turns to a
   * different sub would show one person another's conversations.
   */
  async upsertFromClaims(id: string, email: string): Promise<boolean> {
    try {
      await this.db.query(
        `INSERT INTO users (id, email) VALUES ($1, $2)
         ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email, last_seen_at = now()
         WHERE users.email <> EXCLUDED.email OR users.last_seen_at < now() - interval '1 minute'`,
        [id, email],
      );
      return true;
    } catch (e) {
      if ((e as { code?: string }).code === '23505') return false; // unique_violation on email
      throw e;
    }
  }

  async idForEmail(email: string): Promise<string | undefined> {
    const rows: { id: string }[] = await this.db.query(`SELECT id FROM users WHERE email = $1`, [email.toLowerCase()]);
    return rows[0]?.id;
  }
}
