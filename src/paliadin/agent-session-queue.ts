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

/** Where a turn's end is announced when a turn of its agent session waits on another instance (a trigger sends it). */
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
 * the janitor, which frees its session. A waiting turn is woken when a turn
 * of its session ends: here directly, on another instance by a NOTIFY on
 * QUEUE_CHANNEL; PALIADIN_QUEUE_POLL_MS is the fallback for what neither
 * catches (a turn admitted in the instant the one before it finished
 * elsewhere: the trigger did not see it waiting yet).
 */
@Injectable()
export class AgentSessionQueue implements OnModuleInit {
  private readonly logger = new Logger(AgentSessionQueue.name);
  /** Turns of this instance waiting, by agent session: woken at once when a turn of theirs ends. */
  private readonly waiting = new Map<string, Set<() => void>>();

  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    @InjectDataSource() private readonly db: DataSource,
    private readonly listener: PgListener,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.listener.listen(QUEUE_CHANNEL, (agentSession) => this.released(agentSession));
    // Ends announced while the connection was down are lost: every waiting turn looks again.
    this.listener.onReconnect(() => [...this.waiting.keys()].forEach((s) => this.released(s)));
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
   * Resolves once the turn is claimed: re-tried when a turn of its session
   * ends (here, or announced on QUEUE_CHANNEL), and at least every
   * PALIADIN_QUEUE_POLL_MS. Rejects only when `signal` aborts (the turn was cancelled).
   */
  async waitForTurn(turnId: string, agentSession: string, runnerId: string, signal: AbortSignal): Promise<void> {
    for (;;) {
      signal.throwIfAborted();
      // Watched from before the claim: a turn that ends while the claim is on its way wakes the next try.
      const chance = this.watch(agentSession);
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

  /** A turn of `agentSession` ended (here, or elsewhere as announced): the next one in line may go now. */
  released(agentSession: string): void {
    this.waiting.get(agentSession)?.forEach((wake) => wake());
  }

  /** Watches for a turn of `agentSession` ending here; `wait` returns at once if one did since. */
  private watch(agentSession: string): { stop: () => void; wait: (ms: number, signal: AbortSignal) => Promise<void> } {
    const woken = new AbortController();
    const wake = () => woken.abort();
    let set = this.waiting.get(agentSession);
    if (!set) this.waiting.set(agentSession, (set = new Set()));
    set.add(wake);
    const stop = () => {
      set.delete(wake);
      if (set.size === 0 && this.waiting.get(agentSession) === set) this.waiting.delete(agentSession);
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
