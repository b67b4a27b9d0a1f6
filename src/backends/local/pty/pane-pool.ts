import { Logger } from '@nestjs/common';
import { seconds } from '../../../contract/seconds.js';
import type { AgentLaunch } from '../agent-launch.js';
import { AgentStartError } from '../local-agent-host.js';
import { AgentPane } from './agent-pane.js';
import { isIdle } from './agent-screen.js';

interface Slot {
  pane: AgentPane;
  busy: boolean;
  lastUsed: number;
}

/**
 * The live agent panes, one per user session. A pane is spawned on first use
 * and respawned when its agent has died. At most `maxPanes` live at once:
 * to make room the least recently used idle pane is closed; when every pane
 * is busy, the newcomer waits for one to be released.
 */
export class PanePool {
  private readonly logger = new Logger(PanePool.name);
  private readonly slots = new Map<string, Slot>();
  private readonly starting = new Set<string>();
  private waiters: (() => void)[] = [];

  constructor(
    /** The launch for a new pane, in `cwd` when the session names one. */
    private readonly launch: (cwd: string | undefined) => Promise<AgentLaunch>,
    private readonly opts: { maxPanes: number; startTimeoutMs: number },
  ) {}

  get size(): number {
    return this.slots.size;
  }

  /** The pid of a session's live agent, if any (tests, health). */
  pidOf(session: string): number | undefined {
    const slot = this.slots.get(session);
    return slot?.pane.isAlive ? slot.pane.pid : undefined;
  }

  /** A live pane's terminal (the session page's view), or undefined. */
  screenOf(session: string): ReturnType<AgentPane['snapshot']> | undefined {
    const pane = this.slots.get(session)?.pane;
    return pane?.isAlive ? pane.snapshot() : undefined;
  }

  /** The bottom of a session's screen (diagnostics). */
  tailOf(session: string): string | undefined {
    return this.slots.get(session)?.pane.tail(15);
  }

  /**
   * The session's pane, ready for a turn and marked busy until release().
   * The caller serialises turns per session, so one session never acquires twice at once.
   */
  async acquire(session: string, signal: AbortSignal, cwd?: string): Promise<AgentPane> {
    const existing = this.slots.get(session);
    if (existing?.pane.isAlive) {
      existing.busy = true;
      return existing.pane;
    }
    if (existing) await this.close(session);
    await this.makeRoom(signal);
    this.starting.add(session);
    try {
      const pane = await this.spawn(session, signal, cwd);
      this.slots.set(session, { pane, busy: true, lastUsed: Date.now() });
      return pane;
    } finally {
      this.starting.delete(session);
    }
  }

  release(session: string): void {
    const slot = this.slots.get(session);
    if (slot) {
      slot.busy = false;
      slot.lastUsed = Date.now();
    }
    this.wake();
  }

  /** Kills the session's agent and frees its pty; the next turn starts a new one. */
  async close(session: string): Promise<void> {
    const slot = this.slots.get(session);
    if (!slot) return;
    this.slots.delete(session);
    await slot.pane.kill();
    this.wake();
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.slots.keys()].map((s) => this.close(s)));
  }

  private async spawn(session: string, signal: AbortSignal, cwd: string | undefined): Promise<AgentPane> {
    let pane: AgentPane;
    const launch = await this.launch(cwd);
    try {
      pane = new AgentPane(session, launch);
    } catch (e) {
      throw new AgentStartError(`The agent command "${launch.command}" could not be started: ${(e as Error).message}`);
    }
    const ready = await pane.waitFor(isIdle, this.opts.startTimeoutMs, signal);
    if (ready) {
      this.logger.log(`agent for ${session} started (pid ${pane.pid})`);
      // An agent that dies between turns gives its pty back at once, not at the next turn.
      void pane.exited.then(() => {
        const slot = this.slots.get(session);
        if (slot?.pane === pane && !slot.busy) void this.close(session);
      });
      return pane;
    }
    const screen = pane.tail();
    const exited = !pane.isAlive;
    await pane.kill();
    if (signal.aborted) throw new AgentStartError('The turn ended while the agent was starting');
    const exit = exited ? await pane.exited : undefined;
    this.logger.warn({ session, screen }, 'agent did not show its prompt');
    throw new AgentStartError(
      exited
        ? `The agent "${launch.command}" exited (code ${exit?.exitCode}) before showing its prompt`
        : `The agent "${launch.command}" did not show its prompt within ${seconds(this.opts.startTimeoutMs)}; is it set up to run unattended (npm run agent:setup)?`,
    );
  }

  /** Frees a place for one more pane, waiting while every pane is busy. */
  private async makeRoom(signal: AbortSignal): Promise<void> {
    while (this.slots.size + this.starting.size >= this.opts.maxPanes) {
      const idle = [...this.slots.entries()]
        .filter(([, s]) => !s.busy)
        .sort((a, b) => a[1].lastUsed - b[1].lastUsed)
        .at(0);
      if (idle) {
        this.logger.log(`closing the least recently used agent pane ${idle[0]} to make room`);
        await this.close(idle[0]);
        continue;
      }
      if (signal.aborted) throw new AgentStartError('The turn ended while waiting for a free agent pane');
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
