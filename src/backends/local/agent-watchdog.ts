import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { Logger } from '@nestjs/common';
import { signalGroup, startTimeOf } from './process-group.js';

/** What the local drivers tell about each agent process they start (its pid leads a process group of its own). */
export interface AgentWatch {
  started(pid: number): void;
  ended(pid: number): void;
}

// How long agents get between SIGTERM and SIGKILL, once their gateway is gone.
const GRACE_S = 1;

/**
 * The watchdog: a small shell process beside the gateway, in a session of
 * its own, told on its stdin which agent process groups are live ("+<pgid>",
 * "-<pgid>"). Its stdin ends when the gateway is gone, however it went (a
 * SIGKILL included: the kernel closes the pipe): it then ends every group
 * it knows, SIGTERM and SIGKILL a second later, and exits. Only numbers
 * reach it.
 */
const WATCHDOG = `
groups=''
while IFS= read -r line; do
  pid=\${line#?}
  case $pid in ''|*[!0-9]*) continue ;; esac
  case $line in
    +*) groups="$groups $pid" ;;
    -*) rest=''; for g in $groups; do [ "$g" = "$pid" ] || rest="$rest $g"; done; groups=$rest ;;
  esac
done
[ -n "$groups" ] || exit 0
for g in $groups; do kill -TERM "-$g" 2>/dev/null; done
sleep ${GRACE_S}
for g in $groups; do kill -KILL "-$g" 2>/dev/null; done
`;

interface AgentRecord {
  pid: number;
  start: string;
  gateway: { pid: number; start: string };
}

/**
 * Agents die with their gateway (docs/local-drivers.md#agents-die-with-their-gateway).
 * Every agent process a local driver starts is told to the watchdog, which
 * ends them all when the gateway dies, and recorded in
 * `<PALIADIN_DATA_DIR>/agents/` with its start time and its gateway's. On
 * start, an instance ends the agents a previous run left behind there (one
 * whose watchdog was killed too), never one whose pid was reused (another
 * start time) nor one of a gateway still running (another instance sharing
 * the directory).
 */
export class AgentWatchdog implements AgentWatch {
  private readonly logger = new Logger('LocalBackend');
  private readonly watched = new Set<number>();
  private child?: ChildProcessByStdio<Writable, null, null>;
  private stopping = false;
  private readonly gateway = { pid: process.pid, start: startTimeOf(process.pid) ?? '' };

  constructor(private readonly dir: string) {}

  async start(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    await this.endLeftovers();
    this.spawn();
  }

  started(pid: number): void {
    this.watched.add(pid);
    const record: AgentRecord = { pid, start: startTimeOf(pid) ?? '', gateway: this.gateway };
    try {
      writeFileSync(this.recordPath(pid), JSON.stringify(record));
    } catch (e) {
      this.logger.warn({ err: e, pid }, 'could not record an agent process');
    }
    this.tell(`+${pid}`);
  }

  ended(pid: number): void {
    if (!this.watched.delete(pid)) return;
    this.tell(`-${pid}`);
    rmSync(this.recordPath(pid), { force: true });
  }

  /** A graceful stop: the drivers have ended their agents; the watchdog ends whatever is left and exits. */
  stop(): void {
    this.stopping = true;
    this.child?.stdin.end();
  }

  private spawn(): void {
    const child = spawn('/bin/sh', ['-c', WATCHDOG], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
    this.child = child;
    // Neither the watchdog nor its pipe keeps the gateway running.
    child.unref();
    (child.stdin as unknown as { unref(): void }).unref();
    child.stdin.on('error', () => undefined);
    child.once('exit', () => {
      if (this.stopping || this.child !== child) return;
      // Someone ended it: a new one takes over the agents now live.
      this.logger.warn('the agent watchdog exited; starting it again');
      this.spawn();
      for (const pid of this.watched) this.tell(`+${pid}`);
    });
  }

  private tell(line: string): void {
    this.child?.stdin.write(`${line}\n`);
  }

  private recordPath(pid: number): string {
    return path.join(this.dir, `${pid}.json`);
  }

  /** Ends the agents of gateways that are gone, as recorded; forgets the records. */
  private async endLeftovers(): Promise<void> {
    const left: number[] = [];
    for (const name of readdirSync(this.dir)) {
      if (!/^\d+\.json$/.test(name)) continue;
      const file = path.join(this.dir, name);
      let r: AgentRecord;
      try {
        r = JSON.parse(readFileSync(file, 'utf8')) as AgentRecord;
      } catch {
        rmSync(file, { force: true });
        continue;
      }
      // Another instance running on the same directory: its agents are its own.
      if (r.gateway.pid !== process.pid && startTimeOf(r.gateway.pid) === r.gateway.start && r.gateway.start) continue;
      if (r.start && startTimeOf(r.pid) === r.start) {
        this.logger.warn(`ending agent process ${r.pid}, left behind by an earlier run (gateway pid ${r.gateway.pid})`);
        signalGroup(r.pid, 'SIGTERM');
        left.push(r.pid);
      }
      rmSync(file, { force: true });
    }
    if (left.length === 0) return;
    const deadline = Date.now() + GRACE_S * 1000;
    while (Date.now() < deadline && left.some((pid) => startTimeOf(pid) !== undefined)) await new Promise((r) => setTimeout(r, 50));
    for (const pid of left) signalGroup(pid, 'SIGKILL');
  }
}
