import type { Executor } from './transaction.ts';

/**
 * Rows of one kind that a group commit writes together, in one statement or a few: the
 * ledger's events, the guard's counters. `order` fixes the order writers run in a commit.
 */
export interface GroupWriter<R> {
  readonly name: string;
  readonly order: number;
  write(trx: Executor, rows: R[]): Promise<void>;
}

type Part = readonly [GroupWriter<unknown>, readonly unknown[]];

interface Waiter {
  parts: readonly Part[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** Submissions taken by one commit at most: a bound on one transaction's size and duration. */
const MAX_SUBMISSIONS = 2_000;

/**
 * Group commit: what is submitted while a commit is under way waits for the next one, which
 * writes it all in one transaction, so a thousand concurrent reads cost a few durable commits,
 * not a thousand. Each submitter's promise settles only once its own rows are committed; if the
 * commit fails, every submitter of that group hears the error (and must fail closed).
 */
export class GroupCommit {
  readonly #db: Executor;
  #queue: Waiter[] = [];
  #flushing = false;

  constructor(db: Executor) {
    this.#db = db;
  }

  submit(parts: readonly Part[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ parts, resolve, reject });
      if (!this.#flushing) {
        // Start on the next turn, not now: the callers a commit just released submit their next
        // rows in the same turn, and would otherwise be split into a group of one and the rest.
        this.#flushing = true;
        setImmediate(() => void this.#flush());
      }
    });
  }

  async #flush(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, MAX_SUBMISSIONS);
        const byWriter = new Map<GroupWriter<unknown>, unknown[]>();
        for (const waiter of batch) {
          for (const [writer, rows] of waiter.parts) {
            let list = byWriter.get(writer);
            if (!list) byWriter.set(writer, (list = []));
            for (const row of rows) list.push(row);
          }
        }
        const writers = [...byWriter.entries()].sort(([a], [b]) => a.order - b.order);
        try {
          await this.#db.transaction().execute(async (trx) => {
            for (const [writer, rows] of writers) if (rows.length) await writer.write(trx, rows);
          });
          for (const waiter of batch) waiter.resolve();
        } catch (error) {
          for (const waiter of batch) waiter.reject(error);
        }
      }
    } finally {
      this.#flushing = false;
    }
  }
}

const commits = new WeakMap<Executor, GroupCommit>();

/** The group commit of this database (one per connection pool or SQLite handle, per process). */
export function groupCommitOf(db: Executor): GroupCommit {
  let commit = commits.get(db);
  if (!commit) {
    commit = new GroupCommit(db);
    commits.set(db, commit);
  }
  return commit;
}

/** A typed part of a submission. */
export function part<R>(writer: GroupWriter<R>, rows: readonly R[]): Part {
  return [writer as GroupWriter<unknown>, rows];
}
