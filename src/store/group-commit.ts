import { sql, type RawBuilder } from 'kysely';
import type { Flavour } from './flavour.ts';
import type { SqliteWriterThread } from './sqlite-writer.ts';
import type { Executor } from './transaction.ts';

/**
 * Rows of one kind that a group commit writes together, in one statement or a few: the
 * ledger's events, the guard's counters. `order` fixes the order writers run in a commit.
 */
export interface GroupWriter<R> {
  readonly name: string;
  readonly order: number;
  /** The statements that write these rows, in order (each under the engines' parameter limits). */
  statements(rows: R[]): Array<RawBuilder<unknown>>;
  /**
   * All the rows as one INSERT statement (without RETURNING), and its number of parameters:
   * on PostgreSQL a commit whose writers all have one is a single statement (one round trip,
   * atomic on its own) instead of BEGIN, the inserts and COMMIT.
   */
  statement?(rows: R[]): { sql: RawBuilder<unknown>; parameters: number };
}

/** Below PostgreSQL's 65,535 bound parameters per statement, with room to spare. */
const SINGLE_STATEMENT_PARAMETERS = 30_000;

const flavours = new WeakMap<Executor, Flavour>();
const writerThreads = new WeakMap<Executor, SqliteWriterThread>();

/**
 * Told by the store when it opens a database: which engine is behind this handle, and on a
 * SQLite file the thread where its group commits run.
 */
export function registerFlavour(db: Executor, flavour: Flavour, writerThread?: SqliteWriterThread): void {
  flavours.set(db, flavour);
  if (writerThread) writerThreads.set(db, writerThread);
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
  /** Commits made so far (a test counts them: on a writer thread their statements are not seen here). */
  commits = 0;

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
        const writers = [...byWriter.entries()]
          .filter(([, rows]) => rows.length > 0)
          .sort(([a], [b]) => a.order - b.order);
        try {
          const single = flavours.get(this.#db) === 'postgres' ? singleStatement(writers) : undefined;
          const thread = writerThreads.get(this.#db);
          if (single) await single.execute(this.#db);
          else if (thread) {
            const statements = writers
              .flatMap(([writer, rows]) => writer.statements(rows))
              .map((s) => s.compile(this.#db));
            await thread.run(statements.map((q) => ({ sql: q.sql, parameters: q.parameters })));
          } else {
            await this.#db.transaction().execute(async (trx) => {
              for (const [writer, rows] of writers)
                for (const statement of writer.statements(rows)) await statement.execute(trx);
            });
          }
          this.commits++;
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

/**
 * PostgreSQL: every writer's INSERT as a data-modifying CTE of one statement, which commits on
 * its own; undefined when a writer has no single statement or the whole is too large.
 */
function singleStatement(
  writers: ReadonlyArray<readonly [GroupWriter<unknown>, unknown[]]>,
): RawBuilder<unknown> | undefined {
  const statements: Array<RawBuilder<unknown>> = [];
  let parameters = 0;
  for (const [writer, rows] of writers) {
    const statement = writer.statement?.(rows);
    if (!statement) return undefined;
    parameters += statement.parameters;
    if (parameters > SINGLE_STATEMENT_PARAMETERS) return undefined;
    statements.push(statement.sql);
  }
  if (statements.length === 0) return undefined;
  const ctes = statements.map((statement, i) => sql`${sql.id(`w${i}`)} AS (${statement} RETURNING 1)`);
  return sql`WITH ${sql.join(ctes)} SELECT 1`;
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
