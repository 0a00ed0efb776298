import { chunks, type Executor } from '../store/index.ts';
import { buildEvent, eventRow, type EventBody, type EventInput, type EventKind, type EventRow } from './event.ts';

/** The ledger could not record an event: whatever was to follow (data, a write) must not happen. */
export class LedgerUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`the ledger cannot record events: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'LedgerUnavailableError';
  }
}

const COLUMNS = 9;
const MAX_BATCH = 2_000;

/** Insert rows in the given transaction; a failure of the ledger is a LedgerUnavailableError. */
async function insertRows(trx: Executor, rows: readonly EventRow[]): Promise<void> {
  try {
    for (const part of chunks(rows, COLUMNS)) await trx.insertInto('ledger_events').values(part).execute();
  } catch (error) {
    throw new LedgerUnavailableError(error);
  }
}

/**
 * Group commit: events recorded outside a transaction while a commit is under way wait for the
 * next one, which takes them all in one transaction, so a thousand concurrent reads cost a few
 * fsyncs, not a thousand. Each caller's promise settles only once its own event is committed.
 */
class GroupCommitter {
  readonly #db: Executor;
  #queue: Array<{ row: EventRow; resolve: () => void; reject: (error: unknown) => void }> = [];
  #flushing = false;

  constructor(db: Executor) {
    this.#db = db;
  }

  enqueue(row: EventRow): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ row, resolve, reject });
      if (!this.#flushing) {
        // Start on the next turn, not now: the callers a commit just released enqueue their next
        // events in the same turn, and would otherwise be split into a group of one and the rest.
        this.#flushing = true;
        setImmediate(() => void this.#flush());
      }
    });
  }

  async #flush(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, MAX_BATCH);
        try {
          await this.#db.transaction().execute((trx) => insertRows(trx, batch.map((w) => w.row)));
          for (const waiter of batch) waiter.resolve();
        } catch (error) {
          const failure = error instanceof LedgerUnavailableError ? error : new LedgerUnavailableError(error);
          for (const waiter of batch) waiter.reject(failure);
        }
      }
    } finally {
      this.#flushing = false;
    }
  }
}

const committers = new WeakMap<Executor, GroupCommitter>();

function committerFor(db: Executor): GroupCommitter {
  let committer = committers.get(db);
  if (!committer) {
    committer = new GroupCommitter(db);
    committers.set(db, committer);
  }
  return committer;
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
  else await committerFor(db).enqueue(row);
  return body;
}

/** Many events at once (imports, the benchmark): one group commit for all of them. */
export async function appendEvents(db: Executor, events: ReadonlyArray<{ kind: EventKind; input?: EventInput }>): Promise<EventBody[]> {
  const bodies = events.map((e) => buildEvent(e.kind, e.input ?? {}));
  const rows = bodies.map(eventRow);
  if (db.isTransaction) await insertRows(db, rows);
  else {
    const committer = committerFor(db);
    await Promise.all(rows.map((row) => committer.enqueue(row)));
  }
  return bodies;
}
