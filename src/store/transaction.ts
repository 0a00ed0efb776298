import { PostgresAdapter, type Kysely } from 'kysely';
import type { Schema } from './schema.ts';

export type Executor = Kysely<Schema>;

/** Run `work` in the caller's transaction if there is one, else in a new one: a write is all or nothing. */
export function inTransaction<T>(executor: Executor, work: (trx: Executor) => Promise<T>): Promise<T> {
  if (executor.isTransaction) return work(executor);
  return executor.transaction().execute(work);
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
