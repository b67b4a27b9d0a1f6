import xterm from '@xterm/headless';
import pty, { type IPty } from 'node-pty';
import type { AgentLaunch } from '../agent-launch.js';
import { signalGroup } from '../process-group.js';
import { inputText, isBusy } from './agent-screen.js';

const COLS = 120;
const ROWS = 40;
// Output pauses this long once a paste has been taken in and drawn.
const QUIET_MS = 100;
const SETTLE_LIMIT_MS = 5_000;
const SUBMIT_CONFIRM_MS = 2_000;
const SUBMIT_ATTEMPTS = 3;
const KILL_GRACE_MS = 1_000;
const INTERRUPT_ATTEMPTS = 5;
const INTERRUPT_CONFIRM_MS = 1_000;

/**
 * One agent process in a pseudo-terminal, with a headless xterm reading its
 * screen. The terminal emulator answers the UI's device queries and is the
 * only way to know what the agent shows: we wait for screen states, never for
 * fixed times.
 */
export class AgentPane {
  readonly exited: Promise<{ exitCode: number; signal?: number }>;
  private readonly term: xterm.Terminal;
  private readonly pty: IPty;
  private alive = true;
  private lastOutputAt = Date.now();
  private readonly watchers = new Set<() => void>();

  /** Throws when the command cannot be started at all (not found, not executable). */
  constructor(
    readonly name: string,
    launch: AgentLaunch,
  ) {
    this.term = new xterm.Terminal({ cols: COLS, rows: ROWS, allowProposedApi: true, scrollback: 200 });
    try {
      this.pty = pty.spawn(launch.command, launch.args, { name: 'xterm-256color', cols: COLS, rows: ROWS, cwd: launch.cwd, env: launch.env });
    } catch (e) {
      this.term.dispose();
      throw e;
    }
    // The watchdog ends the pane's agent (a session leader: its pid is its group) if the gateway dies first.
    const pid = this.pty.pid;
    launch.watch?.started(pid);
    this.pty.onData((data) => {
      this.lastOutputAt = Date.now();
      this.term.write(data, () => this.notify());
    });
    // Replies to the UI's device-status and cursor queries go back to it as input.
    this.term.onData((reply) => this.alive && this.pty.write(reply));
    this.exited = new Promise((resolve) =>
      this.pty.onExit((e) => {
        this.alive = false;
        launch.watch?.ended(pid);
        this.notify();
        resolve(e);
      }),
    );
  }

  get pid(): number {
    return this.pty.pid;
  }

  get isAlive(): boolean {
    return this.alive;
  }

  /** The visible screen, one string per row. */
  screen(): string[] {
    const buf = this.term.buffer.active;
    const lines: string[] = [];
    for (let y = buf.baseY; y < buf.baseY + ROWS; y++) lines.push(buf.getLine(y)?.translateToString(true) ?? '');
    return lines;
  }

  /** The terminal as it is now: size, visible rows and cursor. */
  snapshot(): { cols: number; rows: number; lines: string[]; cursor: { x: number; y: number } } {
    const buf = this.term.buffer.active;
    return { cols: COLS, rows: ROWS, lines: this.screen(), cursor: { x: buf.cursorX, y: buf.cursorY } };
  }

  /** The last non-empty rows, for error messages and logs. */
  tail(rows = 8): string {
    return this.screen()
      .filter((l) => l.trim())
      .slice(-rows)
      .map((l) => l.trimEnd())
      .join('\n');
  }

  /**
   * Resolves true as soon as the screen satisfies `ready`, false when the
   * time is up or the agent exits first. Checked after every parsed output.
   */
  waitFor(ready: (lines: string[]) => boolean, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      const check = () => {
        if (!this.alive || signal?.aborted) {
          done(false);
          return;
        }
        if (ready(this.screen())) done(true);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.watchers.delete(check);
        signal?.removeEventListener('abort', check);
        resolve(ok);
      };
      this.watchers.add(check);
      signal?.addEventListener('abort', check);
      check();
    });
  }

  /**
   * Types a message into the input box and submits it. The text goes in as a
   * bracketed paste when the UI asked for it, so nothing in it is read as a
   * key; the caller has already stripped control characters. Enter is sent
   * once the paste is drawn, and again if the box did not empty.
   */
  async submit(text: string): Promise<boolean> {
    await this.clearInput();
    this.write(this.term.modes.bracketedPasteMode ? `\x1b[200~${text}\x1b[201~` : text);
    await this.waitFor(() => inputText(this.screen()).length > 0, SETTLE_LIMIT_MS);
    await this.waitQuiet(QUIET_MS, SETTLE_LIMIT_MS);
    for (let attempt = 0; attempt < SUBMIT_ATTEMPTS && this.alive; attempt++) {
      this.write('\r');
      if (await this.waitFor((lines) => isBusy(lines) || inputText(lines) === '', SUBMIT_CONFIRM_MS)) return true;
    }
    return false;
  }

  /**
   * Empties the input box. It is not always empty at the prompt: an
   * interrupted turn (Escape) puts its message back there for editing.
   * Ctrl-E Ctrl-U: to the end, then delete to the start.
   */
  async clearInput(): Promise<void> {
    for (let attempt = 0; attempt < SUBMIT_ATTEMPTS && this.alive && inputText(this.screen()) !== ''; attempt++) {
      this.write('\x05\x15');
      await this.waitFor((lines) => inputText(lines) === '', SUBMIT_CONFIRM_MS);
    }
  }

  /**
   * Escape stops the agent's current work, as a person at the keyboard would.
   * A lone ESC byte is ambiguous to a terminal UI (the start of a sequence?),
   * and one that lands next to other input can be swallowed, so it is sent
   * again while the agent still shows itself busy. Resolves true once it is not.
   */
  async interrupt(): Promise<boolean> {
    for (let attempt = 0; attempt < INTERRUPT_ATTEMPTS && this.alive; attempt++) {
      this.write('\x1b');
      if (await this.waitFor((lines) => !isBusy(lines), INTERRUPT_CONFIRM_MS)) return true;
    }
    return false;
  }

  /**
   * Ends the agent and everything it started: SIGTERM to the process group
   * (the pty made the agent a session leader), SIGKILL after a grace period,
   * then the pty's descriptor is freed.
   */
  async kill(): Promise<void> {
    if (this.alive) {
      signalGroup(this.pty.pid, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(this.pty.pid, 'SIGKILL'), KILL_GRACE_MS);
      await this.exited;
      clearTimeout(timer);
    }
    // Whatever the agent left in its group (a tool's child that ignored SIGTERM) goes too.
    signalGroup(this.pty.pid, 'SIGKILL');
    (this.pty as IPty & { destroy(): void }).destroy();
    this.term.dispose();
    this.watchers.clear();
  }

  private write(data: string): void {
    if (this.alive) this.pty.write(data);
  }

  private async waitQuiet(quietMs: number, limitMs: number): Promise<void> {
    const limit = Date.now() + limitMs;
    while (this.alive && Date.now() < limit) {
      const idleFor = Date.now() - this.lastOutputAt;
      if (idleFor >= quietMs) return;
      await new Promise((r) => setTimeout(r, quietMs - idleFor));
    }
  }

  private notify(): void {
    for (const w of [...this.watchers]) w();
  }
}
