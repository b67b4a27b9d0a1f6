import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { AgentWatch } from './agent-watchdog.js';
import { signalGroup } from './process-group.js';

const KILL_GRACE_MS = 1_000;
const STDERR_LINES = 20;

/** How an agent process ended: its exit code or signal. */
export interface AgentExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * One agent process spoken to over its stdio (the stream-json and ACP
 * drivers): an argument array and no shell, a process group of its own so
 * that stopping it also stops whatever its tools started, told to the
 * watchdog so that it never outlives the gateway, and the last lines of its
 * stderr kept for the message when it fails.
 */
export class AgentChild {
  readonly child: ChildProcessWithoutNullStreams;
  readonly exited: Promise<AgentExit>;
  private readonly stderr: string[] = [];
  private alive = true;

  constructor(command: string, args: string[], opts: { cwd?: string; env: Record<string, string | undefined>; watch?: AgentWatch }) {
    let onExit!: (e: AgentExit) => void;
    this.exited = new Promise((resolve) => (onExit = resolve));
    // `detached` makes it a process group leader.
    const child = spawn(command, args, { cwd: opts.cwd, env: opts.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    this.child = child;
    const { pid } = child;
    // The watchdog ends its group if the gateway dies first.
    if (pid) opts.watch?.started(pid);
    // A write to an agent that has just died fails with EPIPE: its end is reported through `exit`.
    child.stdin.on('error', () => undefined);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      for (const line of chunk.split('\n').filter((l) => l.trim())) this.stderr.push(line.slice(0, 500));
      this.stderr.splice(0, Math.max(0, this.stderr.length - STDERR_LINES));
    });
    child.once('exit', (code, signal) => {
      this.alive = false;
      if (pid) opts.watch?.ended(pid);
      onExit({ code, signal });
    });
    // ENOENT, EACCES: there is no process, and no `exit` comes.
    child.once('error', (e) => {
      this.stderr.push(e.message);
      this.alive = false;
      if (pid) opts.watch?.ended(pid);
      onExit({ code: null, signal: null });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get isAlive(): boolean {
    return this.alive;
  }

  /** The last lines the agent wrote to stderr (diagnostics, a failed start's message). */
  stderrTail(): string {
    return this.stderr.join('\n');
  }

  /** Its last stderr line, if any. */
  lastWords(): string | undefined {
    return this.stderr.at(-1);
  }

  /** Resident memory of the agent process in bytes (bench, health), from /proc. */
  rssBytes(): number | undefined {
    try {
      const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'))?.[1];
      return kb ? Number(kb) * 1024 : undefined;
    } catch {
      return undefined;
    }
  }

  /** Ends the agent and everything it started: SIGTERM to its process group, SIGKILL after a grace period. */
  async kill(): Promise<void> {
    const pid = this.child.pid;
    if (!pid) return;
    if (this.alive) {
      signalGroup(pid, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), KILL_GRACE_MS);
      await this.exited;
      clearTimeout(timer);
    }
    // Whatever its tools left in the group (a child that ignored SIGTERM) goes too.
    signalGroup(pid, 'SIGKILL');
  }
}
