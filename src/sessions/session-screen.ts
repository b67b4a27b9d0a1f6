import { setTimeout as sleep } from 'node:timers/promises';
import type { ServerResponse } from 'node:http';
import { BadRequestException, ConflictException, Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PALIADIN_BACKEND, type PaliadinBackend, type TerminalScreen } from '../backends/backend.interface.js';
import { AppConfig } from '../config/app-config.js';
import { SseWriter } from '../http/sse-writer.js';
import type { SessionRecord } from './session-store.js';

/** How often a watched terminal is looked at: at most 10 screens a second (docs/sessions.md#the-terminal). */
const LOOK_MS = 100;
/** How often a watcher checks that its session is still active. */
const STATUS_EVERY_MS = 1_000;

export type ScreenView = TerminalScreen & { captured_at: string };

/**
 * The agent's terminal of a session, now and as it changes: the pty
 * driver's headless terminal, the remote host's tmux pane. Drivers without
 * a terminal (stream-json, aichat) have the session's events stream instead.
 */
@Injectable()
export class SessionScreen {
  private readonly logger = new Logger(SessionScreen.name);

  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    @Inject(PALIADIN_BACKEND) private readonly backend: PaliadinBackend,
    @InjectDataSource() private readonly db: DataSource,
  ) {}

  /** Refuses what cannot have a screen: a driver without a terminal (409 NO_TERMINAL), an ended session (400). */
  check(s: SessionRecord): void {
    if (!this.backend.screen) {
      const driver = this.backend.driver ? `${this.backend.kind} backend's ${this.backend.driver} driver` : `${this.backend.kind} backend`;
      throw new ConflictException({
        code: 'NO_TERMINAL',
        message: `The ${driver} has no terminal to show; read the session's events instead: GET /api/sessions/${s.id}/events`,
      });
    }
    if (s.status !== 'active') throw new BadRequestException('session is not active');
  }

  async now(s: SessionRecord): Promise<ScreenView> {
    this.check(s);
    const screen = await this.look(s);
    if (!screen) {
      throw new ConflictException({
        code: 'NO_SCREEN',
        message: this.backend.agentsPerInstance
          ? "This session's agent is not running on this instance (it starts with the session's next turn; with several instances, the one running it has its screen)"
          : "This session's agent is not running (it starts with the session's next turn)",
      });
    }
    return screen;
  }

  /** `screen` events whenever the terminal changed (at most 10 a second), pings while idle; ends with the session. */
  open(s: SessionRecord, res: ServerResponse): void {
    this.check(s);
    const out = new SseWriter(res, this.config.env.PALIADIN_PING_INTERVAL_MS);
    const gone = new AbortController();
    out.onClose(() => gone.abort());
    this.watch(s, out, gone.signal)
      .catch((err: unknown) => {
        if (!gone.signal.aborted) this.logger.error({ err, sessionId: s.id }, 'screen stream failed');
      })
      .finally(() => out.end());
  }

  private async watch(s: SessionRecord, out: SseWriter, gone: AbortSignal): Promise<void> {
    let shown = '';
    let statusAt = Date.now();
    const pollMs = Math.max(LOOK_MS, this.backend.screenPollMs ?? LOOK_MS);
    while (!gone.aborted) {
      const screen = await this.look(s).catch((err: unknown) => {
        this.logger.warn({ err, sessionId: s.id }, 'could not read the screen');
        return undefined;
      });
      if (screen) {
        const { captured_at, ...content } = screen;
        const key = JSON.stringify(content);
        if (key !== shown) {
          shown = key;
          out.unnumbered('screen', { ...content, captured_at });
        }
      }
      if (Date.now() - statusAt >= STATUS_EVERY_MS) {
        statusAt = Date.now();
        const [row]: ({ status: string } | undefined)[] = await this.db.query(`SELECT status FROM paliadin_sessions WHERE id = $1`, [s.id]);
        if (row?.status !== 'active') return;
      }
      await sleep(pollMs, undefined, { signal: gone }).catch(() => undefined);
    }
  }

  private async look(s: SessionRecord): Promise<ScreenView | undefined> {
    const screen = await this.backend.screen?.(s.agent_session);
    return screen && { ...screen, captured_at: new Date().toISOString() };
  }
}
