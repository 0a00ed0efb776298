import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { sql } from 'kysely';
import { groupCommitOf, openDatabase, part, type Database, type GroupWriter } from '../../src/store/index.ts';
import { SqliteWriterThread } from '../../src/store/sqlite-writer.ts';

/**
 * The SQLite writer thread (issue 18): group commits run on a thread of their own, so their
 * fsync never stops the thread that serves requests. What must hold: a commit is all or
 * nothing; each submitter hears its own commit's fate; a thread that dies fails what it held
 * (the reads waiting on it fail closed) and the next commit gets a new one; and the request
 * thread's own transactions keep working while the thread commits beside them.
 */
describe('the SQLite writer thread', () => {
  let dir: string;
  let database: Database;
  const count = async () =>
    Number((await sql<{ n: number }>`SELECT count(*) AS n FROM scratch`.execute(database.db)).rows[0]!.n);
  const SCRATCH: GroupWriter<{ x: number }> = {
    name: 'scratch',
    order: 1,
    statements: (rows) => [sql`INSERT INTO scratch (x) VALUES ${sql.join(rows.map((r) => sql`(${r.x})`))}`],
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rempart-writer-'));
    database = await openDatabase({ url: join(dir, 'store.db') });
    await sql`CREATE TABLE scratch (x INTEGER PRIMARY KEY)`.execute(database.db);
  });
  after(async () => {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('commits the rows of concurrent submitters together, and the request thread runs none of the statements', async () => {
    const probe = new SqliteDatabase(':memory:');
    const statementProto = Object.getPrototypeOf(probe.prepare('select 1')) as { run: (...args: unknown[]) => unknown };
    probe.close();
    const run = statementProto.run;
    const seenHere: string[] = [];
    statementProto.run = function (this: { source: string }, ...args: unknown[]) {
      seenHere.push(this.source);
      return run.apply(this, args);
    };
    const group = groupCommitOf(database.db);
    const before = group.commits;
    try {
      await Promise.all(Array.from({ length: 50 }, (_, i) => group.submit([part(SCRATCH, [{ x: i }])])));
    } finally {
      statementProto.run = run;
    }
    assert.equal(await count(), 50);
    assert.ok(group.commits - before < 50, `50 submitters in a few commits, got ${group.commits - before}`);
    assert.deepEqual(
      seenHere.filter((s) => /scratch|begin|commit/i.test(s)),
      [],
      'no statement of the commit ran on the request thread',
    );
  });

  it('rolls a commit back whole when one of its statements fails, and every submitter of the group hears it', async () => {
    const before = await count();
    const group = groupCommitOf(database.db);
    // Submitted in the same turn: one group. 1000 is new, 0 is already there (primary key).
    const results = await Promise.allSettled([
      group.submit([part(SCRATCH, [{ x: 1000 }])]),
      group.submit([part(SCRATCH, [{ x: 0 }])]),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'rejected'],
    );
    assert.match(String((results[0] as PromiseRejectedResult).reason), /UNIQUE constraint failed/);
    assert.equal(await count(), before, 'nothing of the group was written');
    await group.submit([part(SCRATCH, [{ x: 1000 }])]);
    assert.equal(await count(), before + 1, 'the next commit goes through');
  });

  it('fails the commit a dying thread held, writes none of it, and starts a new thread for the next', async () => {
    const thread = new SqliteWriterThread(join(dir, 'store.db'), { busyTimeoutMs: 5_000 });
    try {
      const before = await count();
      // A commit long enough (millions of rows) to be under way when the thread is stopped.
      const long = thread.run([
        {
          sql: 'WITH RECURSIVE c(v) AS (SELECT 2000 UNION ALL SELECT v + 1 FROM c WHERE v < 5000000) INSERT INTO scratch (x) SELECT v FROM c',
          parameters: [],
        },
      ]);
      await new Promise((resolve) => setTimeout(resolve, 100));
      await thread.kill();
      await assert.rejects(long, /writer thread stopped/);
      assert.equal(await count(), before, 'none of the dead commit is in the store');
      await thread.run([{ sql: 'INSERT INTO scratch (x) VALUES (?)', parameters: [1001] }]);
      assert.equal(await count(), before + 1, 'a new thread took the next commit');
    } finally {
      await thread.close();
    }
    await assert.rejects(thread.run([{ sql: 'SELECT 1', parameters: [] }]), /closed/);
  });

  it('lets the request thread read then write in its own transactions while the writer thread commits', async () => {
    const group = groupCommitOf(database.db);
    const commits: Array<Promise<void>> = [];
    // Each transaction reads, lets a group commit reach the writer thread, then writes. Begun
    // DEFERRED it would hold a snapshot the writer thread's commit makes stale, and its write
    // would fail with SQLITE_BUSY_SNAPSHOT; begun IMMEDIATE, the writer thread waits for it.
    const transactions = Array.from({ length: 5 }, (_, i) =>
      database.db.transaction().execute(async (trx) => {
        const n = Number((await sql<{ n: number }>`SELECT count(*) AS n FROM scratch`.execute(trx)).rows[0]!.n);
        commits.push(group.submit([part(SCRATCH, [{ x: 10_000 + i }])]));
        await new Promise((resolve) => setTimeout(resolve, 30));
        await sql`INSERT INTO scratch (x) VALUES (${20_000 + i})`.execute(trx);
        return n;
      }),
    );
    const settled = await Promise.allSettled(transactions);
    const committed = await Promise.allSettled(commits);
    assert.deepEqual(
      [...settled, ...committed]
        .filter((r) => r.status === 'rejected')
        .map((r) => String((r as PromiseRejectedResult).reason)),
      [],
    );
    assert.equal(
      Number(
        (await sql<{ n: number }>`SELECT count(*) AS n FROM scratch WHERE x >= 10000`.execute(database.db)).rows[0]!.n,
      ),
      10,
    );
  });
});
