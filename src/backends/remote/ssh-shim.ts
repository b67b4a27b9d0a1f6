import { spawn } from 'node:child_process';
import type { ErrorCode } from '../../contract/error-codes.js';
import type { TerminalScreen } from '../backend.interface.js';

export interface SshTarget {
  host: string;
  port: number;
  user: string;
  keyPath: string;
  knownHostsPath: string;
}

/** A failed shim call, classified (see classify). */
export class ShimError extends Error {
  override readonly name = 'ShimError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly exitCode: number | null,
  ) {
    super(message);
  }
}

// The shim's own "no answer yet" for `fetch`.
export const SHIM_NO_ANSWER = 3;

// ssh (LogLevel VERBOSE) says this once the host has let us in; only then can the verb
// have reached the host. Older OpenSSH words it "Authentication succeeded".
const SESSION_RE = /^(Authenticated to |Authentication succeeded)/m;
// What ssh only says about a session that was up (for an ssh that does not log the line above).
const SESSION_LOST_RE = /Connection to \S+ closed by remote host|Timeout, server \S+ not responding|Read from remote host|client_loop: /;
const AUTH_RE = /Permission denied|Host key verification failed/i;
// ssh's VERBOSE chatter, never the reason for a failure.
const CHATTER_RE = /^(Authenticated to |Authentication succeeded|Transferred: |Bytes per second)/;

/**
 * The ssh argument array: never a string a shell would parse. The seed's
 * flags: no config files, only our key, a pinned known_hosts, no prompts,
 * short connect timeout and keep-alives.
 */
export function sshArgs(t: SshTarget, verb: string[]): string[] {
  return [
    '-F',
    '/dev/null',
    '-i',
    t.keyPath,
    '-p',
    String(t.port),
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    `UserKnownHostsFile=${t.knownHostsPath}`,
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'ConnectTimeout=3',
    '-o',
    'ServerAliveInterval=10',
    '-o',
    'ServerAliveCountMax=3',
    // "Authenticated to ..." on stderr tells a failure before the verb went out from one after.
    '-o',
    'LogLevel=VERBOSE',
    '-T',
    `${t.user}@${t.host}`,
    '--',
    ...verb,
  ];
}

/**
 * Which of our codes a failed ssh call is, decided by whether the verb may
 * have reached the host (a turn that may have is looked for later):
 * - exit 255 is ssh itself failing. Before the host let us in (refused, timed
 *   out, unresolvable, reset or closed during the handshake): the verb was
 *   not sent, `mriver_unreachable`; a key or host key not accepted:
 *   `shim_auth_failed`. After it (the connection reset, closed by the remote
 *   host, a keep-alive timeout, or the shim killed by a signal, which ssh also
 *   reports as 255): the verb may have arrived, `upstream_error`.
 * - 124: the shim's own timeout, the agent still has the turn: `timeout`.
 * - 1 and 2: the shim refused or failed before it typed anything (bad input,
 *   the agent would not start); 126/127: the shim cannot run. `shim_error`.
 * - anything else comes from a shim that was past those checks: `upstream_error`.
 */
export function classify(exitCode: number | null, stderr: string): ErrorCode {
  if (exitCode === 124) return 'timeout';
  if (exitCode === 255) {
    if (SESSION_RE.test(stderr) || SESSION_LOST_RE.test(stderr)) return 'upstream_error';
    if (AUTH_RE.test(stderr)) return 'shim_auth_failed';
    return 'mriver_unreachable';
  }
  if (exitCode === 1 || exitCode === 2 || exitCode === 126 || exitCode === 127 || exitCode === null) return 'shim_error';
  return 'upstream_error';
}

/** The line that says why: the last one of stderr that is not ssh's VERBOSE chatter. */
export function reasonLine(stderr: string, exitCode: number | null): string {
  const lines = stderr
    .split(/\r?\n|\r/)
    .map((l) => l.trim())
    .filter((l) => l && !CHATTER_RE.test(l));
  return lines.at(-1) ?? `exit ${exitCode}`;
}

/**
 * Runs one shim verb over ssh and resolves with its stdout; rejects with a
 * classified ShimError. Aborting kills the ssh process.
 */
export function callShim(t: SshTarget, verb: string[], opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('ssh', sshArgs(t, verb), { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const kill = () => child.kill('SIGTERM');
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          kill();
        }, opts.timeoutMs)
      : undefined;
    opts.signal?.addEventListener('abort', kill);
    child.on('error', (e) => reject(new ShimError('shim_error', `ssh could not be started: ${e.message}`, null)));
    child.on('close', (code) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', kill);
      if (code === 0) {
        resolve(Buffer.concat(out).toString('utf8'));
        return;
      }
      const line = reasonLine(err, code);
      if (timedOut) {
        reject(new ShimError('mriver_unreachable', `the agent host did not answer ${verb[0]} in time`, code));
        return;
      }
      reject(new ShimError(classify(code, err), `${verb[0]} over ssh failed: ${line}`, code));
    });
    if (opts.signal?.aborted) kill();
  });
}

/** The shim's `capture` output: "<cols> <rows> <cursor_x> <cursor_y>", then the pane's rows. */
export function parseCapture(out: string): TerminalScreen {
  const [head = '', ...rest] = out.split('\n');
  const nums = head.trim().split(/\s+/).map(Number);
  if (nums.length !== 4 || nums.some((n) => !Number.isInteger(n) || n < 0))
    throw new ShimError('shim_error', `capture answered an unexpected first line: ${head.slice(0, 80)}`, null);
  const [cols, rows, x, y] = nums;
  // tmux prints every row, the last one followed by a line break.
  const lines = rest.slice(0, rows).map((l) => l.trimEnd());
  while (lines.length < rows) lines.push('');
  return { cols, rows, lines, cursor: { x, y } };
}
