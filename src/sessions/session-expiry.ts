import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { TurnJanitor } from '../paliadin/turn-janitor.js';
import { SessionStore } from './session-store.js';
import { SessionsService } from './sessions.service.js';

// Sessions expired per janitor pass: a pass stays short, a backlog goes over several.
const PER_PASS = 100;

/**
 * Sessions past `expires_at` end as `expired` (running turn cancelled, agent
 * stopped), on the one instance that runs the janitor's pass.
 */
@Injectable()
export class SessionExpiry implements OnModuleInit {
  private readonly logger = new Logger(SessionExpiry.name);

  constructor(
    private readonly janitor: TurnJanitor,
    private readonly sessions: SessionsService,
    @InjectDataSource() private readonly db: DataSource,
  ) {}

  onModuleInit(): void {
    this.janitor.addTask('expiring sessions', () => this.expire());
  }

  async expire(): Promise<number> {
    const due: { id: string }[] = await this.db.query(
      `SELECT id FROM paliadin_sessions WHERE status = 'active' AND expires_at < now() ORDER BY expires_at LIMIT $1`,
      [PER_PASS],
    );
    let expired = 0;
    for (const { id } of due) {
      try {
        const s = await SessionStore.find(this.db, id);
        if (s?.status !== 'active') continue;
        await this.sessions.endSession(s, 'expired', 'expired');
        expired++;
        this.logger.log(`session ${id} expired`);
      } catch (e) {
        this.logger.error({ err: e, sessionId: id }, `could not expire session ${id}`);
      }
    }
    return expired;
  }
}
