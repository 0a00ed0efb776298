/**
 * The store could not serve a statement within its bound: a lock held elsewhere (another
 * connection's exclusive transaction, a table locked by an operator), a connection the pool could
 * not give in time, a server going away. Requests fail closed with 503, never hang nor answer 500.
 */
export class StoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`the store is unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'StoreUnavailableError';
  }
}

/** How long a statement may wait for a lock before the request fails closed. */
export const STORE_LOCK_BOUND_MS = 2_000;

/** PostgreSQL's SQLSTATEs for a lock or a statement given up, and a connection lost or refused. */
const PG_UNAVAILABLE = new Set([
  '55P03',
  '57014',
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '08000',
  '08003',
  '08006',
  '08001',
  '08004',
]);
const NODE_UNAVAILABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE']);

/** SQLite's "the database is locked" (another connection holds the lock), in any of its forms. */
export function isSqliteBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

/** A write refused by a unique index or primary key, on either store: someone else wrote it first. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/** Whether this failure (or one it wraps) means the store is out of reach for now, not a bug. */
export function isStoreUnavailable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof StoreUnavailableError || isSqliteBusy(e)) return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (PG_UNAVAILABLE.has(code) || NODE_UNAVAILABLE.has(code))) return true;
    // pg's own messages: no connection freed up within connectionTimeoutMillis; a connection
    // ended under a statement; a statement sent on a connection the server had already ended
    // (the request held it when the server went away: the pool replaces it once released).
    if (
      e instanceof Error &&
      /timeout exceeded when trying to connect|Connection terminated|encountered a connection error and is not queryable|Client was closed and is not queryable/i.test(
        e.message,
      )
    )
      return true;
  }
  return false;
}
