import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import type { Runtime } from '../../src/runtime/index.ts';

type Patchable = Record<string, unknown>;
type AnyFn = (...args: unknown[]) => unknown;

/**
 * The SQL statements the drivers execute while `work` runs (BEGIN and COMMIT included), counted
 * where they leave the process: pg's Client.query on PostgreSQL, better-sqlite3's statements
 * (run, all, get, iterate) and Database.exec on SQLite. Round trips, counted, not estimated.
 */
export async function countStatements<T>(
  runtime: Runtime,
  work: () => Promise<T>,
): Promise<{ result: T; statements: string[] }> {
  const statements: string[] = [];
  const restore: Array<() => void> = [];
  const wrap = (proto: Patchable, name: string, text: (self: unknown, args: unknown[]) => string) => {
    const original = proto[name] as AnyFn;
    proto[name] = function (this: unknown, ...args: unknown[]) {
      statements.push(text(this, args));
      return original.apply(this, args);
    };
    restore.push(() => (proto[name] = original));
  };
  if (runtime.database.flavour === 'postgres') {
    wrap(pg.Client.prototype as unknown as Patchable, 'query', (_self, args) =>
      typeof args[0] === 'string' ? args[0] : String((args[0] as { text?: string } | undefined)?.text),
    );
  } else {
    const probe = new SqliteDatabase(':memory:');
    const statementProto = Object.getPrototypeOf(probe.prepare('select 1')) as Patchable;
    const databaseProto = Object.getPrototypeOf(probe) as Patchable;
    probe.close();
    for (const method of ['run', 'all', 'get', 'iterate'])
      wrap(statementProto, method, (self) => String((self as { source?: string }).source));
    wrap(databaseProto, 'exec', (_self, args) => String(args[0]));
  }
  try {
    const result = await work();
    return { result, statements };
  } finally {
    for (const undo of restore.reverse()) undo();
  }
}
