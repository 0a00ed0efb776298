import type SqliteDatabase from 'better-sqlite3';

/**
 * The settings of every connection to a SQLite store: the request thread's and the writer
 * thread's alike, so that both see and write the file under the same rules.
 */
export function applySqliteSettings(sqlite: SqliteDatabase.Database, options: { busyTimeoutMs: number }): void {
  sqlite.pragma('journal_mode = WAL');
  // FULL: a committed ledger event survives a power cut, not only a crash of the process; group
  // commit keeps that from costing one fsync per request.
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs)}`);
  // Erased persons' wrapped keys must not linger in free pages of the file.
  sqlite.pragma('secure_delete = ON');
  // Random UUID keys touch pages all over the indexes: a 64 MiB page cache keeps writes from rereading them.
  sqlite.pragma('cache_size = -65536');
}
