import { spawn } from 'node:child_process';
import type { ErrorCode } from '../../contract/error-codes.js';

export interface SshTarget {
  host: string;
  port: number;
  user: string;
  keyPath: string;
  knownHostsPath: string;
}

/** A failed shim call, classified (docs/agent-protocol.md, the shim). */
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

// ssh prints these when the host cannot be reached at all: the command never left.
const UNREACHABLE_RE = /Connection timed out|Connection refused|Could not resolve hostname|Network is unreachable|No route to host|Operation timed out/i;
// The shim's own "no answer yet" for `fetch`.
export const SHIM_NO_ANSWER = 3;

/**
 * The ssh argument array: never a string a shell would parse. The seed's
 * flags: no config files, only our key, a pinned known_hosts, no prompts,
 * short connect timeout and keep-alives.
 */
export function sshArgs(t: SshTarget, verb: string[]): string[] {
  return [
    '-F', '/dev/null',
    '-i', t.keyPath,
    '-p', String(t.port),
    '-o', 'IdentitiesOnly=yes',
    '-o', `UserKnownHostsFile=${t.knownHostsPath}`,
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'BatchMode=yes',
    '-o', 'ConnectTimeout=3',
    '-o', 'ServerAliveInterval=10',
    '-o', 'ServerAliveCountMax=3',
    '-T',
    `${t.user}@${t.host}`,
    '--',
    ...verb,
  ];
}

/**
 * Which of our codes a failed ssh call is. ssh's own failures exit 255: one
 * that could not connect (or authenticate) is definitive, the command never
 * ran; a connection that broke afterwards (reset, closed, the server gone
 * quiet), or an ssh killed by a signal, may have left the agent working on
 * the turn: `upstream_error`, whose answer is fetched later. The shim's own
 * exit codes are its answer.
 */
export function classify(exitCode: number | null, stderr: string): ErrorCode {
  if (exitCode === 124) return 'timeout';
  if (/Permission denied|Host key verification failed/i.test(stderr)) return 'shim_auth_failed';
  if (exitCode === 255 && UNREACHABLE_RE.test(stderr)) return 'mriver_unreachable';
  if (exitCode === 255 || exitCode === null) return 'upstream_error';
  return 'shim_error';
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
      if (code === 0) return resolve(Buffer.concat(out).toString('utf8'));
      const line = err.trim().split('\n').filter(Boolean).at(-1) ?? `exit ${code}`;
      if (timedOut) return reject(new ShimError('mriver_unreachable', `the agent host did not answer ${verb[0]} in time`, code));
      reject(new ShimError(classify(code, err), `${verb[0]} over ssh failed: ${line}`, code));
    });
    if (opts.signal?.aborted) kill();
  });
}
