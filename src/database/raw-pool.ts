import type pg from 'pg';
import type { DataSource } from 'typeorm';

/**
 * The pg Pool under TypeORM, for the one hot statement that wants a named
 * (server-side prepared) statement: parsed and planned once per connection
 * instead of once per call. TypeORM offers no named statements.
 */
export function rawPool(ds: DataSource): pg.Pool {
  return (ds.driver as unknown as { master: pg.Pool }).master;
}
