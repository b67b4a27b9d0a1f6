import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { isAlive } from '../support/process.js';
import pg from 'pg';
import { EmbeddedDatabase, freePort } from '../../src/database/embedded-postgres.js';
import { testTempDir } from '../support/temp-dirs.js';
import { waitUntil } from '../support/wait.js';

const tmp = () => testTempDir('paliadin-embedded-');

// Every cluster a test starts is stopped afterwards, even when an assertion failed first.
const started: EmbeddedDatabase[] = [];
function cluster(dir: string): EmbeddedDatabase {
  const db = new EmbeddedDatabase(dir);
  started.push(db);
  return db;
}
afterEach(async () => {
  await Promise.all(started.splice(0).map((db) => db.stop()));
});
const postmasterPid = (dir: string) => Number(readFileSync(path.join(dir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);

async function query(url: string, sql: string) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}

describe('embedded Postgres', () => {
  it('starts on a free port with a generated password, and reuses its data directory', async () => {
    const dir = tmp();
    const first = cluster(dir);
    const a = await first.start();
    expect(a.port).not.toBe(5432);
    expect(a.url).not.toContain(':password@');
    const { password } = JSON.parse(readFileSync(path.join(dir, 'postgres-credentials.json'), 'utf8'));
    expect(password.length).toBeGreaterThanOrEqual(24);
    await query(a.url, 'CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)');
    const pid = postmasterPid(dir);
    await first.stop();
    expect(isAlive(pid)).toBe(false);

    const second = cluster(dir);
    const b = await second.start();
    expect(await query(b.url, 'SELECT v FROM kept')).toEqual([{ v: 42 }]);
    await second.stop();
  });

  it('refuses the wrong password (scram auth, not trust)', async () => {
    const dir = tmp();
    const db = cluster(dir);
    const { port } = await db.start();
    await expect(query(`postgres://paliadin:wrong@127.0.0.1:${port}/paliadin`, 'SELECT 1')).rejects.toThrow(/password/);
    await db.stop();
  });

  it('starts over a stale postmaster.pid whose process is gone', async () => {
    const dir = tmp();
    const db = cluster(dir);
    await db.start();
    await db.stop();
    const pidFile = path.join(dir, 'postgres', 'postmaster.pid');
    writeFileSync(pidFile, `999999\n${path.join(dir, 'postgres')}\n1700000000\n5432\n\n127.0.0.1\n0 0\nready\n`);
    const again = cluster(dir);
    const { url } = await again.start();
    expect(await query(url, 'SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
    await again.stop();
  });

  it('a Postgres that already died is stopped at once (it used to wait for an exit long gone, and a Ctrl-C hung)', async () => {
    const dir = tmp();
    const db = cluster(dir);
    await db.start();
    const pid = postmasterPid(dir);
    process.kill(pid, 'SIGKILL');
    await waitUntil(() => !isAlive(pid), 5_000, 'the postmaster to die');
    // Before the fix this rejected after the stop's 15 s limit ("postgres stop did not finish").
    await expect(db.stop()).resolves.toBeUndefined();
  });

  it('stops a Postgres orphaned by a killed run, then starts its own', async () => {
    const dir = tmp();
    const db = cluster(dir);
    await db.start(); // creates the cluster and credentials
    await db.stop();

    const child = spawn(process.execPath, ['test/fixtures/orphan-postgres.mjs', dir, String(await freePort())], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
      child.once('exit', (code) => reject(new Error(`fixture exited ${code}`)));
    });
    const orphan = postmasterPid(dir);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(isAlive(orphan)).toBe(true);

    const next = cluster(dir);
    const { url } = await next.start();
    expect(isAlive(orphan)).toBe(false);
    expect(await query(url, 'SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
    await next.stop();
  });

  it('shares a cluster that a live process of ours is running, and leaves it running', async () => {
    const dir = tmp();
    const owner = cluster(dir);
    const { port } = await owner.start();
    const guest = cluster(dir);
    const shared = await guest.start();
    expect(shared.port).toBe(port);
    await guest.stop();
    expect(await query(shared.url, 'SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
    await owner.stop();
  });
});
