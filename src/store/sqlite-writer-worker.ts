import SqliteDatabase from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { applySqliteSettings } from './sqlite-settings.ts';
import type { WriterReply, WriterRequest } from './sqlite-writer.ts';

/**
 * The SQLite writer thread: runs each group commit it is sent (compiled statements) as one
 * IMMEDIATE transaction on its own connection, so the commit's fsync waits here and not on the
 * thread that serves requests. It knows no table: what to write is decided on the main thread.
 */
const { path, busyTimeoutMs } = workerData as { path: string; busyTimeoutMs: number };
const sqlite = new SqliteDatabase(path);
applySqliteSettings(sqlite, { busyTimeoutMs });
const prepared = new Map<string, SqliteDatabase.Statement>();
const PREPARED = 200;

function statement(text: string): SqliteDatabase.Statement {
  let s = prepared.get(text);
  if (!s) {
    s = sqlite.prepare(text);
    if (prepared.size >= PREPARED) prepared.delete(prepared.keys().next().value!);
    prepared.set(text, s);
  }
  return s;
}

parentPort!.on('message', (request: WriterRequest) => {
  if (request.close) {
    sqlite.close();
    parentPort!.close();
    return;
  }
  let reply: WriterReply;
  try {
    sqlite.exec('BEGIN IMMEDIATE');
    try {
      for (const q of request.statements) statement(q.sql).run(...q.parameters);
      sqlite.exec('COMMIT');
    } catch (error) {
      if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
      throw error;
    }
    reply = { id: request.id };
  } catch (error) {
    reply = { id: request.id, error: error instanceof Error ? error.message : String(error) };
  }
  parentPort!.postMessage(reply);
});
parentPort!.postMessage({ id: -1 } satisfies WriterReply);
