import { Logger } from '@nestjs/common';
import type { SessionRules } from '../../../contract/requests.js';
import { AgentStartError } from '../local-agent-host.js';
import type { AgentProcess } from './agent-process.js';

/** What a session's agent is started with, beyond its name: its workspace and the rules its session added. */
export interface AgentStart {
  workspace?: string;
  rules?: SessionRules;
}

interface Slot {
  agent: AgentProcess;
  busy: boolean;
  lastUsed: number;
  idleTimer?: NodeJS.Timeout;
}

/**
 * The warm agent processes, one per agent session. One is started on a
 * session's first turn (and again when it has died), stopped after
 * `idleMs` without a turn, and at most `maxAgents` live at once: to make
 * room the least recently used idle one is stopped; when all are busy, the
 * newcomer waits for one to be released. A stopped agent's conversation is
 * resumed by the next one.
 */
export class AgentProcessPool {
  private readonly logger = new Logger(AgentProcessPool.name);
  private readonly slots = new Map<string, Slot>();
  private readonly starting = new Set<string>();
  private waiters: (() => void)[] = [];

  constructor(
    /** Starts a session's agent (in its workspace, under its rules, when the session names them). */
    private readonly start: (session: string, signal: AbortSignal, how: AgentStart) => Promise<AgentProcess>,
    private readonly opts: { maxAgents: number; idleMs: number },
  ) {}

  get size(): number {
    return this.slots.size;
  }

  /** The session's live agent, if any (tests, bench). */
  agentOf(session: string): AgentProcess | undefined {
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
  async acquire(session: string, signal: AbortSignal, how: AgentStart = {}): Promise<AgentProcess> {
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
      this.logger.log(`agent for ${session} started (pid ${agent.pid})`);
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
      slot.idleTimer = setTimeout(() => {
        if (this.slots.get(session) !== slot || slot.busy) return;
        this.logger.log(`stopping the agent for ${session}: idle for ${Math.round(this.opts.idleMs / 1000)} s`);
        void this.close(session);
      }, this.opts.idleMs);
      slot.idleTimer.unref();
    }
    this.wake();
  }

  /** Stops the session's agent and its process group; the next turn starts a new one. */
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
        this.logger.log(`stopping the least recently used agent ${idle[0]} to make room`);
        await this.close(idle[0]);
        continue;
      }
      if (signal.aborted) throw new AgentStartError('The turn ended while waiting for a free agent');
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
