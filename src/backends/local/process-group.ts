import { readFileSync } from 'node:fs';

/** A signal to a whole process group (an agent and whatever its tools started); one that is gone already is fine. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/**
 * When a process started (since boot, in clock ticks: /proc/<pid>/stat's
 * 22nd field), or undefined when it is gone or a zombie. With its pid, it
 * names one process for good: a pid the system reused has another.
 */
export function startTimeOf(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name may hold spaces and parentheses: the fields are read after the last ")".
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[0] === 'Z' ? undefined : fields[19];
}
