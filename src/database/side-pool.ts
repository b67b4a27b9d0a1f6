import pg from 'pg';
import type { DataSource } from 'typeorm';
import { rawPool } from './raw-pool.js';

/**
 * A small pool of its own beside TypeORM's, with the same connection
 * settings, for statements that must not queue behind the others: under a
 * crowd, TypeORM's pool has hundreds of statements waiting for a slot
 * (lookups, admissions, each turn's end), and a slot comes free only when
 * the busy event loop gets to its answer.
 */
export function sidePool(ds: DataSource, size: number, onError: (e: Error) => void): pg.Pool {
  const main = rawPool(ds) as pg.Pool & { options: pg.PoolConfig };
  // Kept open while idle (pg closes idle connections after 10 s by default): a statement after a quiet
  // spell would otherwise wait for a connection to be made and signed in.
  const pool = new pg.Pool({ ...main.options, max: size, idleTimeoutMillis: 0 });
  // A connection Postgres drops while idle is reported here; unheard, it would end the process.
  pool.on('error', onError);
  return pool;
}
