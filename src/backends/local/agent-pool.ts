import { Logger } from '@nestjs/common';
import type { SessionRules } from '../../contract/requests.js';
import { AgentStartError } from './local-agent-host.js';

/** What a session's agent is started with, beyond its name: its workspace and the rules its session added. */
export interface AgentStart {
  workspace?: string;
  rules?: SessionRules;
}

/** What the pool needs of an agent, whichever driver runs it (a pty pane, a stream-json or an ACP process). */
export interface PooledAgent {
  readonly isAlive: boolean;
  readonly pid: number | undefined;
  /** Settles when the agent's process has exited, for whatever reason. */
  readonly exited: Promise<unknown>;
  /** Stops the agent (and its process group); settles once it is gone. */
  kill(): Promise<void>;
}

interface Slot<A> {
  agent: A;
  busy: boolean;
  lastUsed: number;
  idleTimer?: NodeJS.Timeout;
}

/**
 * The live agents of one local driver, one per agent session. An agent is
 * started on a session's first turn (and again when it has died), stopped
 * after `idleMs` without a turn when that is set, and at most `maxAgents`
 * live at once: to make room the least recently used idle one is stopped;
 * when all are busy, the newcomer waits for one to be released. `How` is
 * what a start needs beyond the session's name (its workspace, its rules).
 */
export class AgentPool<A extends PooledAgent, How> {
  private readonly logger: Logger;
  private readonly slots = new Map<string, Slot<A>>();
  private readonly starting = new Set<string>();
  private waiters: (() => void)[] = [];

  constructor(
    /** What the logs call one agent ("agent", "agent pane"). */
    private readonly what: string,
    /** Starts a session's agent; it rejects with AgentStartError when it cannot. */
    private readonly start: (session: string, signal: AbortSignal, how: How) => Promise<A>,
    private readonly opts: { maxAgents: number; idleMs?: number },
  ) {
    this.logger = new Logger(`AgentPool(${what})`);
  }

  get size(): number {
    return this.slots.size;
  }

  /** The session's live agent, if any (a pane's screen, tests, bench). */
  agentOf(session: string): A | undefined {
    const slot = this.slots.get(session);
    return slot?.agent.isAlive ? slot.agent : undefined;
  }

  pidOf(session: string): number | undefined {
    return this.agentOf(session)?.pid;
  }

  /**
   * The session's agent, started if need be, marked busy until release().
   * The caller serialises turns per session, so one session never acquires twice at once.
   */
  async acquire(session: string, signal: AbortSignal, how: How): Promise<A> {
    const existing = this.slots.get(session);
    if (existing?.agent.isAlive) {
      clearTimeout(existing.idleTimer);
      existing.busy = true;
      return existing.agent;
    }
    if (existing) await this.close(session);
    await this.makeRoom(signal);
    this.starting.add(session);
    try {
      const agent = await this.start(session, signal, how);
      this.slots.set(session, { agent, busy: true, lastUsed: Date.now() });
      this.logger.log(`${this.what} for ${session} started (pid ${agent.pid})`);
      // An agent that dies between turns gives its place back at once, not at the next turn.
      void agent.exited.then(() => {
        const slot = this.slots.get(session);
        if (slot?.agent === agent && !slot.busy) void this.close(session);
      });
      return agent;
    } finally {
      this.starting.delete(session);
      this.wake();
    }
  }

  release(session: string): void {
    const slot = this.slots.get(session);
    if (slot) {
      slot.busy = false;
      slot.lastUsed = Date.now();
      clearTimeout(slot.idleTimer);
      const idleMs = this.opts.idleMs;
      if (idleMs !== undefined) {
        slot.idleTimer = setTimeout(() => {
          if (this.slots.get(session) !== slot || slot.busy) return;
          this.logger.log(`stopping the ${this.what} for ${session}: idle for ${Math.round(idleMs / 1000)} s`);
          void this.close(session);
        }, idleMs);
        slot.idleTimer.unref();
      }
    }
    this.wake();
  }

  /** Stops the session's agent; the next turn starts a new one. */
  async close(session: string): Promise<void> {
    const slot = this.slots.get(session);
    if (!slot) return;
    this.slots.delete(session);
    clearTimeout(slot.idleTimer);
    await slot.agent.kill();
    this.wake();
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.slots.keys()].map((s) => this.close(s)));
  }

  /** Frees a place for one more agent, waiting while every one is busy. */
  private async makeRoom(signal: AbortSignal): Promise<void> {
    while (this.slots.size + this.starting.size >= this.opts.maxAgents) {
      const idle = [...this.slots.entries()]
        .filter(([, s]) => !s.busy)
        .sort((a, b) => a[1].lastUsed - b[1].lastUsed)
        .at(0);
      if (idle) {
        this.logger.log(`stopping the least recently used ${this.what} ${idle[0]} to make room`);
        await this.close(idle[0]);
        continue;
      }
      if (signal.aborted) throw new AgentStartError(`The turn ended while waiting for a free ${this.what}`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          signal.removeEventListener('abort', wake);
          resolve();
        };
        this.waiters.push(wake);
        signal.addEventListener('abort', wake);
      });
    }
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach((w) => w());
  }
}
