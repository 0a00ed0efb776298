import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { chunks, groupCommitOf, part, type Executor, type GroupCommit, type GroupWriter } from '../store/index.ts';
import { buildEvent, eventRow, type EventBody, type EventInput, type EventKind, type EventRow } from './event.ts';

/** The ledger could not record an event: whatever was to follow (data, a write) must not happen. */
export class LedgerUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`the ledger cannot record events: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'LedgerUnavailableError';
  }
}

const COLUMNS = 9;

/** One INSERT of these rows, in SQL rather than the query builder (building it cost more than storing the rows). */
function insertStatement(rows: readonly EventRow[]) {
  const values = rows.map(
    (r) =>
      sql`(${r.id}, NULL, ${r.at}, ${r.kind}, ${r.account_id}, ${r.actor_id}, ${r.organisation_id}, ${r.person_id}, ${r.body})`,
  );
  return sql`INSERT INTO ledger_events (id, seq, at, kind, account_id, actor_id, organisation_id, person_id, body) VALUES ${sql.join(values)}`;
}

/** Insert rows in the given transaction; a failure of the ledger is a LedgerUnavailableError. */
async function insertRows(trx: Executor, rows: readonly EventRow[]): Promise<void> {
  try {
    for (const part of chunks(rows, COLUMNS)) await insertStatement(part).execute(trx);
  } catch (error) {
    throw new LedgerUnavailableError(error);
  }
}

/** The ledger's part of a group commit: events recorded outside a transaction, inserted together. */
export const EVENTS_WRITER: GroupWriter<EventRow> = {
  name: 'ledger_events',
  // Last: the counters and marks that go with an event are written before it, in the same commit.
  order: 100,
  statements: (rows) => chunks(rows, COLUMNS).map(insertStatement),
  statement: (rows) => ({ sql: insertStatement(rows), parameters: rows.length * (COLUMNS - 1) }),
};

/** Told of each append made durable by a group commit (the metrics): synchronous and cheap, on the read path. */
export interface AppendObserver {
  /** One append (of one event or several) durable, `seconds` after it was submitted. */
  appended(seconds: number): void;
}

const observers = new WeakMap<Executor, AppendObserver>();

/**
 * Hear the appends made outside a transaction on this database handle (one per runtime, so two
 * runtimes of one process are told apart); returns how to stop. Appends inside a transaction
 * are that transaction's statements and are not timed here.
 */
export function observeAppends(db: Executor, observer: AppendObserver): () => void {
  observers.set(db, observer);
  return () => {
    if (observers.get(db) === observer) observers.delete(db);
  };
}

/** Wait for `rows` (and what goes with them) to be durable; any failure is the ledger's. */
async function groupCommitted(db: Executor, parts: Parameters<GroupCommit['submit']>[0]): Promise<void> {
  const observer = observers.get(db);
  const started = observer ? performance.now() : 0;
  try {
    await groupCommitOf(db).submit(parts);
  } catch (error) {
    throw error instanceof LedgerUnavailableError ? error : new LedgerUnavailableError(error);
  }
  observer?.appended((performance.now() - started) / 1000);
}

/**
 * Events to record in the next group commit with other rows (the guard's counters of a read):
 * all durable together, or none. Outside a transaction only.
 */
export async function appendEventsWith(
  db: Executor,
  events: ReadonlyArray<{ kind: EventKind; input?: EventInput }>,
  alongside: Parameters<GroupCommit['submit']>[0],
): Promise<EventBody[]> {
  if (db.isTransaction) throw new Error('appendEventsWith joins a group commit: call it outside a transaction');
  const bodies = events.map((e) => buildEvent(e.kind, e.input ?? {}));
  await groupCommitted(db, [...alongside, part(EVENTS_WRITER, bodies.map(eventRow))]);
  return bodies;
}

/**
 * Record an event and return once it is durable. In a transaction, the event is part of it:
 * the write and its event commit together or not at all. Otherwise it joins the next group
 * commit. Either way a failure is a LedgerUnavailableError, and the caller must stop.
 */
export async function appendEvent(db: Executor, kind: EventKind, input: EventInput = {}): Promise<EventBody> {
  const body = buildEvent(kind, input);
  const row = eventRow(body);
  if (db.isTransaction) await insertRows(db, [row]);
  else await groupCommitted(db, [part(EVENTS_WRITER, [row])]);
  return body;
}

/** Many events at once (imports, the benchmark): one group commit for all of them. */
export async function appendEvents(
  db: Executor,
  events: ReadonlyArray<{ kind: EventKind; input?: EventInput }>,
): Promise<EventBody[]> {
  const bodies = events.map((e) => buildEvent(e.kind, e.input ?? {}));
  const rows = bodies.map(eventRow);
  if (db.isTransaction) await insertRows(db, rows);
  else await groupCommitted(db, [part(EVENTS_WRITER, rows)]);
  return bodies;
}
