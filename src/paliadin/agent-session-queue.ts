import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { PgListener } from '../database/pg-listener.js';
import { NOT_FINISHED } from './turn-rows.js';
import { returnedRows } from '../database/returned-rows.js';

/** Anything that runs a query: the data source, or a transaction's manager. */
interface Queryable {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

/** Where a turn's end names the next turn of its agent session that waits (a trigger sends it: docs/event-log.md). */
export const QUEUE_CHANNEL = 'paliadin_queue';

/**
 * One turn at a time per agent session, across every instance, in arrival
 * order: an agent typing two messages at once would mix them. A turn runs
 * once it is claimed, and it is claimed only when no turn of its agent
 * session is claimed and unfinished and none that arrived before it waits.
 * Claims are taken under a transaction-scoped advisory lock on the agent
 * session, so two instances can never both claim. A new turn whose session
 * has nothing else unfinished is claimed as it goes in (paliadin_admit_turns, under
 * its user's lock, which covers all of that user's agent sessions). The queue is the turns
 * table itself (queue_seq, claimed_at): a turn whose runner died is ended by
 * the janitor, which frees its session. When a turn ends, the next waiting
 * turn of its session, and only that one, is woken on whichever instance
 * runs it (the end's NOTIFY on QUEUE_CHANNEL names it): a user with many
 * turns queued costs one claim per end, not one per waiting turn. The
 * trigger looks under the lock a claim takes, so a claim racing the end
 * either sees it or is seen. PALIADIN_QUEUE_POLL_MS is the fallback for a
 * NOTIFY lost on a LISTEN connection that died without a word.
 */
@Injectable()
export class AgentSessionQueue implements OnModuleInit {
  private readonly logger = new Logger(AgentSessionQueue.name);
  /** Turns of this instance waiting for their agent session, by turn id: woken when named on QUEUE_CHANNEL. */
  private readonly waiting = new Map<string, () => void>();

  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    @InjectDataSource() private readonly db: DataSource,
    private readonly listener: PgListener,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.listener.listen(QUEUE_CHANNEL, (turnId) => this.waiting.get(turnId)?.());
    // Ends announced while the connection was down are lost: every waiting turn looks again.
    this.listener.onReconnect(() => [...this.waiting.values()].forEach((wake) => wake()));
  }

  /**
   * Claims the turn for its runner if it is its session's turn (and the
   * runner still runs it: another instance may have taken it over); `tx`
   * must be inside a transaction.
   */
  async claim(tx: Queryable, turnId: string, agentSession: string, runnerId: string): Promise<boolean> {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`paliadin-agent:${agentSession}`]);
    const rows = (await tx.query(
      `UPDATE paliadin_turns t SET claimed_at = now()
       WHERE t.turn_id = $1 AND ${NOT_FINISHED} AND t.claimed_at IS NULL AND t.runner_id = $2
         AND NOT EXISTS (
           SELECT 1 FROM paliadin_turns o
           WHERE o.agent_session = t.agent_session AND o.finished_at IS NULL AND o.turn_id <> t.turn_id
             AND (o.claimed_at IS NOT NULL OR o.queue_seq < t.queue_seq))
       RETURNING turn_id`,
      [turnId, runnerId],
    )) as unknown[];
    return returnedRows(rows).length === 1;
  }

  /**
   * Resolves once the turn is claimed: re-tried when the turn before it
   * ends (announced on QUEUE_CHANNEL), and at least every
   * PALIADIN_QUEUE_POLL_MS. Rejects only when `signal` aborts (the turn was cancelled).
   */
  async waitForTurn(turnId: string, agentSession: string, runnerId: string, signal: AbortSignal): Promise<void> {
    for (;;) {
      signal.throwIfAborted();
      // Watched from before the claim: a turn that ends while the claim is on its way wakes the next try.
      const chance = this.watch(turnId);
      try {
        if (await this.db.transaction((tx) => this.claim(tx, turnId, agentSession, runnerId))) {
          chance.stop();
          return;
        }
      } catch (e) {
        this.logger.warn(`claiming turn ${turnId} failed (${(e as Error).message}); trying again`);
      }
      await chance.wait(this.config.env.PALIADIN_QUEUE_POLL_MS, signal);
    }
  }

  /** Watches for the turn to be named on QUEUE_CHANNEL; `wait` returns at once if it was since. */
  private watch(turnId: string): { stop: () => void; wait: (ms: number, signal: AbortSignal) => Promise<void> } {
    const woken = new AbortController();
    const wake = () => woken.abort();
    this.waiting.set(turnId, wake);
    const stop = () => {
      if (this.waiting.get(turnId) === wake) this.waiting.delete(turnId);
    };
    return {
      stop,
      wait: async (ms, signal) => {
        try {
          if (!woken.signal.aborted) await sleep(ms, undefined, { signal: AbortSignal.any([woken.signal, signal]) });
        } catch {
          // woken early, or cancelled: the loop looks at the signal
        } finally {
          stop();
        }
      },
    };
  }
}
