/**
 * The database driver settings a process ended up with, for the HTTP read benchmark to show that
 * Rempart and the plain server use the same: the pg pool's size on PostgreSQL (the pool sits
 * inside Kysely's dialect, so it is caught as it hands out a connection), the pragmas on SQLite.
 */
import { sql } from 'kysely';
import pg from 'pg';
import type { Database } from '../src/store/index.ts';

export async function driverSettings(database: Database): Promise<string> {
  if (database.flavour === 'postgres') {
    const proto = pg.Pool.prototype as unknown as Record<string, unknown>;
    const own = Object.hasOwn(proto, 'connect');
    const connect = proto.connect as (...args: unknown[]) => unknown;
    let max: unknown;
    proto.connect = function (this: { options?: { max?: unknown } }, ...args: unknown[]) {
      max = this.options?.max;
      return connect.apply(this, args);
    };
    try {
      await sql`select 1`.execute(database.db);
    } finally {
      if (own) proto.connect = connect;
      else delete proto.connect;
    }
    return `pg pool max ${String(max)}`;
  }
  const names = ['journal_mode', 'synchronous', 'foreign_keys', 'busy_timeout', 'secure_delete', 'cache_size'];
  const values = [];
  for (const name of names) {
    const rows = (await sql.raw(`pragma ${name}`).execute(database.db)).rows as Array<Record<string, unknown>>;
    values.push(`${name}=${String(Object.values(rows[0] ?? {})[0])}`);
  }
  return values.join(' ');
}
