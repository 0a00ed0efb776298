import { PostgresAdapter, type Kysely } from 'kysely';
import type { Schema } from './schema.ts';

export type Executor = Kysely<Schema>;

/** What to do once a transaction opened by `inTransaction` has committed (never if it rolled back). */
const afterCommitHooks = new WeakMap<Executor, Array<() => Promise<void>>>();

/** Run `work` in the caller's transaction if there is one, else in a new one: a write is all or nothing. */
export async function inTransaction<T>(executor: Executor, work: (trx: Executor) => Promise<T>): Promise<T> {
  if (executor.isTransaction) return work(executor);
  const hooks: Array<() => Promise<void>> = [];
  const result = await executor.transaction().execute((trx) => {
    afterCommitHooks.set(trx, hooks);
    return work(trx);
  });
  for (const hook of hooks) await hook();
  return result;
}

/**
 * Run `hook` once what `db` wrote is committed: at once outside a transaction, after the commit of
 * a transaction opened by `inTransaction` (before it returns), and not at all after a rollback.
 * Answers false for a transaction opened otherwise, whose end it cannot see: the caller then
 * relies on its background job. A hook handles its own errors.
 */
export async function afterCommit(db: Executor, hook: () => Promise<void>): Promise<boolean> {
  if (!db.isTransaction) {
    await hook();
    return true;
  }
  const hooks = afterCommitHooks.get(db);
  if (!hooks) return false;
  hooks.push(hook);
  return true;
}

/**
 * Whether a read that decides a state transition can lock its rows (`SELECT … FOR UPDATE`): on
 * PostgreSQL a concurrent transition then waits for this one's commit instead of deciding on a
 * stale row. SQLite has no such clause and needs none: its write transactions begin IMMEDIATE,
 * one at a time. Either way the transition's UPDATE still names the state it expects.
 */
export function locksRows(db: Executor): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/** Split rows so that one statement stays under SQLite's and PostgreSQL's bound-parameter limits. */
export function chunks<T>(rows: readonly T[], columns: number, maxParameters = 10_000): T[][] {
  const size = Math.max(1, Math.floor(maxParameters / columns));
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

/** Let timers and I/O run between batches of a long job (progress display, server requests). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
