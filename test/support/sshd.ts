import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/database/embedded-postgres.js';
import { waitUntil } from './wait.js';
import { descendants, killAll, running } from './process.js';
import net from 'node:net';
import { requireTools } from './prerequisites.js';
import { testTempDir } from './temp-dirs.js';
import type { ClaudeAgentFixture } from './claude-agent.js';

export interface SshdFixture {
  port: number;
  user: string;
  dir: string;
  /** The gateway's private key (the one authorized_keys lets in, for the shim only). */
  keyPath: string;
  /** A key sshd does not know. */
  wrongKeyPath: string;
  knownHostsPath: string;
  /** Rewrites the shim's settings file (the forced command gives it; the shim reads it on every call). */
  setShimEnv: (env: Record<string, string>) => void;
  tmuxSocket: string;
  /** The gateway's PALIADIN_REMOTE_* settings for this sshd. */
  env: (overrides?: Record<string, string>) => Record<string, string>;
  /**
   * Kills (SIGKILL) every process below the listening sshd: each open
   * connection's sshd and what runs in it (the shim), as when the host's side
   * of a session dies mid-turn. The listener stays up; the tmux server the
   * shim started is not below it (tmux detaches), so the agent lives on.
   * Resolves with how many processes it killed.
   */
  dropConnections: () => number;
  stop: () => Promise<void>;
  start: () => Promise<void>;
  cleanup: () => Promise<void>;
}

const SHIM = path.resolve('scripts/paliadin-shim');

/** The shim's settings that run `agent` (the real Claude Code and its scripted model) on the host; `extra` adds or overrides. */
export function shimEnvFor(agent: ClaudeAgentFixture, extra: Record<string, string> = {}): Record<string, string> {
  return {
    HOME: agent.home,
    PATH: `${path.resolve('node_modules/.bin')}:${process.env.PATH}`,
    ANTHROPIC_BASE_URL: agent.env.ANTHROPIC_BASE_URL,
    ANTHROPIC_API_KEY: agent.env.ANTHROPIC_API_KEY,
    DISABLE_TELEMETRY: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    PALIADIN_AGENT_COMMAND: agent.env.PALIADIN_AGENT_COMMAND,
    PALIADIN_AGENT_CWD: agent.env.PALIADIN_AGENT_CWD,
    PALIADIN_RESPONSE_DIR: agent.responseDir,
    PALIADIN_SHIM_TIMEOUT: '60',
    // A bound for a machine busy with the whole suite (a cold Claude Code in a new pane), not a wait.
    PALIADIN_SHIM_START_TIMEOUT: '90',
    ...extra,
  };
}
const SSHD = '/usr/sbin/sshd';

const keygen = (file: string) => execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'paliadin-test', '-f', file]);

/**
 * A real OpenSSH server on 127.0.0.1 and a free port: a temporary host key
 * pinned in known_hosts, and an authorized_keys line whose command= forces
 * scripts/paliadin-shim (with a settings file `setShimEnv` rewrites).
 */
export async function startSshd(shimEnv: Record<string, string>): Promise<SshdFixture> {
  requireTools('The remote backend tests', [SSHD, 'ssh', 'ssh-keygen', 'tmux'], 'openssh-server openssh-client tmux');
  const dir = testTempDir('paliadin-sshd-');
  const port = await freePort();
  const user = os.userInfo().username;
  const hostKey = path.join(dir, 'host_ed25519');
  const keyPath = path.join(dir, 'gateway_ed25519');
  const wrongKeyPath = path.join(dir, 'stranger_ed25519');
  for (const k of [hostKey, keyPath, wrongKeyPath]) keygen(k);
  const knownHostsPath = path.join(dir, 'known_hosts');
  writeFileSync(knownHostsPath, `[127.0.0.1]:${port} ${readFileSync(`${hostKey}.pub`, 'utf8')}`);
  const shimConfig = path.join(dir, 'shim.env');
  const tmuxSocket = path.join(dir, 'tmux.sock');
  const setShimEnv = (env: Record<string, string>) =>
    writeFileSync(
      shimConfig,
      Object.entries({ ...env, PALIADIN_SHIM_TMUX_SOCKET: tmuxSocket })
        .map(([k, v]) => `export ${k}=${JSON.stringify(v)}`)
        .join('\n') + '\n',
    );
  setShimEnv(shimEnv);
  const authorizedKeys = path.join(dir, 'authorized_keys');
  writeFileSync(authorizedKeys, `command="PALIADIN_SHIM_CONFIG=${shimConfig} ${SHIM}",restrict ${readFileSync(`${keyPath}.pub`, 'utf8')}`, { mode: 0o600 });
  const config = path.join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${authorizedKeys}`,
      'StrictModes no',
      'UsePAM no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'PermitRootLogin prohibit-password',
      `AllowUsers ${user}`,
      'LogLevel VERBOSE',
    ].join('\n') + '\n',
  );
  // Debian's sshd wants its privilege separation directory.
  if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });

  let child: ChildProcess | undefined;
  let log = '';
  const start = async () => {
    child = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    await waitUntil(() => canConnect(port), 10_000, `sshd on port ${port} (log: ${log.slice(-500)})`);
  };
  const stop = async () => {
    if (child?.exitCode !== null) return;
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    port,
    user,
    dir,
    keyPath,
    wrongKeyPath,
    knownHostsPath,
    setShimEnv,
    tmuxSocket,
    env: (overrides = {}) => ({
      PALIADIN_BACKEND: 'remote',
      PALIADIN_REMOTE_HOST: '127.0.0.1',
      PALIADIN_REMOTE_PORT: String(port),
      PALIADIN_REMOTE_USER: user,
      PALIADIN_REMOTE_KEY_PATH: keyPath,
      PALIADIN_REMOTE_KNOWN_HOSTS: knownHostsPath,
      ...overrides,
    }),
    dropConnections: () => {
      if (!child?.pid || child.exitCode !== null) return 0;
      const pids = descendants(child.pid);
      killAll(pids);
      return pids.length;
    },
    start,
    stop,
    cleanup: async () => {
      await stop();
      await killTmuxServer(tmuxSocket);
      rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    },
  };
}

/**
 * Ends the shim's tmux server and every agent in its panes, and returns once
 * they are gone: `tmux kill-server` alone only hangs the panes up, and an
 * agent that exits a moment later still writes its files (into a HOME the
 * test is about to remove, which would bring the directory back).
 */
async function killTmuxServer(socket: string): Promise<void> {
  let server: number;
  try {
    server = Number(execFileSync('tmux', ['-S', socket, 'display-message', '-p', '#{pid}'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
  } catch {
    return; // no tmux server was started, or it is gone already
  }
  const pids = [server, ...descendants(server)];
  killAll(pids);
  await waitUntil(() => pids.every((pid) => !running(pid)), 10_000, `tmux server ${server} and its panes to exit`);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
