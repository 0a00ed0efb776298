import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import {
  appendEvents,
  startLedgerSchedule,
  type EventInput,
  type EventKind,
  type Ledger,
} from '../../src/ledger/index.ts';
import type { Runtime } from '../../src/runtime/index.ts';
import { BACKEND, testEnvironment, type TestEnvironment } from '../helpers/backend.ts';

const events = (count: number, from = 0): Array<{ kind: EventKind; input: EventInput }> =>
  Array.from({ length: count }, (_, i) => ({
    kind: 'access_granted',
    input: { personId: `p-${from + i}`, purpose: 'suivi', operation: 'read', classes: ['identity'] },
  }));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Both at once on PostgreSQL (the race the ledger_state row lock settles). SQLite's driver is
 * synchronous: two connections of one process interleaving their transactions would wait on
 * each other's lock with the thread blocked, so there the two go one after the other (two
 * server processes on one SQLite file are separate processes, and the file lock settles it).
 */
async function together<T>(work: Array<() => Promise<T>>): Promise<T[]> {
  if (BACKEND === 'postgres') return Promise.all(work.map((w) => w()));
  const out: T[] = [];
  for (const w of work) out.push(await w());
  return out;
}

/**
 * The ledger keeps up (issue 18): integration in bounded ticks that end under a steady stream
 * of appends, and one checkpoint per interval for a whole fleet of server processes on one store.
 */
describe(`the ledger's schedule (${BACKEND})`, () => {
  let env: TestEnvironment;
  let a: Runtime;
  let b: Runtime;
  const db = () => a.database.db;
  const checkpointCount = async () => (await a.ledger.checkpoints({ limit: 10_000 })).length;
  const pending = async () =>
    (await db().selectFrom('ledger_events').select('id').where('seq', 'is', null).execute()).length;

  before(async () => {
    env = testEnvironment();
    a = await env.open();
    // A second server process on the same store: its own connections, its own Ledger.
    b = await env.open();
  });
  after(async () => {
    await b.close();
    await a.close();
    await env.cleanup();
  });

  it('integrates at most maxBatches batches when asked, and everything pending otherwise', async () => {
    await appendEvents(db(), events(30));
    const before = await a.ledger.size();
    assert.equal(await a.ledger.integrate({ maxBatches: 2, batchSize: 10 }), 20);
    assert.equal(await a.ledger.size(), before + 20);
    assert.equal(await pending(), 10);
    const heard: number[] = [];
    assert.equal(await a.ledger.integrate((n) => heard.push(n)), 10);
    assert.deepEqual(heard, [10]);
    assert.equal(await pending(), 0);
    assert.equal(await a.ledger.integrate(), 0, 'nothing pending: nothing to do');
  });

  it('integrate() ends under a steady stream of appends, with everything recorded before the call in the tree', async () => {
    await appendEvents(db(), events(200, 1000));
    const recordedBefore = (await db().selectFrom('ledger_events').select('id').where('seq', 'is', null).execute()).map(
      (r) => r.id,
    );
    let streaming = true;
    let appended = 0;
    // Another process keeps appending the whole time, faster than batches of 5 are integrated.
    const stream = (async () => {
      while (streaming) {
        await appendEvents(b.database.db, events(25, 2000 + appended));
        appended += 25;
      }
    })();
    try {
      const integrated = await a.ledger.integrate({ batchSize: 5 });
      assert.ok(integrated >= recordedBefore.length, `${integrated} integrated, ${recordedBefore.length} were pending`);
    } finally {
      streaming = false;
      await stream;
    }
    const left = await db()
      .selectFrom('ledger_events')
      .select('id')
      .where('id', 'in', recordedBefore)
      .where('seq', 'is', null)
      .execute();
    assert.deepEqual(left, [], 'every event recorded before the call is in the tree');
    assert.ok(appended > 0);
    await a.ledger.integrate();
  });

  it('two processes ticking together sign one checkpoint per interval, and a forced checkpoint signs regardless', async () => {
    await appendEvents(db(), events(10, 3000));
    await a.ledger.checkpoint();
    const t0 = Date.now() + 60_000;
    const interval = 30_000;
    const start = await checkpointCount();

    await appendEvents(db(), events(10, 3100));
    await a.ledger.integrate();
    const signed = await together([
      () => a.ledger.checkpoint(new Date(t0), { minIntervalMs: interval, integrate: false }),
      () => b.ledger.checkpoint(new Date(t0), { minIntervalMs: interval, integrate: false }),
    ]);
    assert.equal(await checkpointCount(), start + 1, 'one checkpoint for the two of them');
    assert.equal(signed[0]!.note, signed[1]!.note, 'both answer with the same, newest checkpoint');

    // The tree grew, but the newest checkpoint is younger than the interval: nobody signs.
    await appendEvents(db(), events(10, 3200));
    await b.ledger.integrate();
    await together([
      () => a.ledger.checkpoint(new Date(t0 + 1_000), { minIntervalMs: interval, integrate: false }),
      () => b.ledger.checkpoint(new Date(t0 + 2_000), { minIntervalMs: interval, integrate: false }),
    ]);
    assert.equal(await checkpointCount(), start + 1);

    // One interval later, one of them signs, once.
    await together([
      () => a.ledger.checkpoint(new Date(t0 + interval), { minIntervalMs: interval, integrate: false }),
      () => b.ledger.checkpoint(new Date(t0 + interval), { minIntervalMs: interval, integrate: false }),
    ]);
    assert.equal(await checkpointCount(), start + 2);
    assert.equal(Number((await a.ledger.latestCheckpoint())!.size), await a.ledger.size());

    // The CLI, the desk and tests force one: it is signed whatever the interval.
    await appendEvents(db(), events(5, 3300));
    const forced = await b.ledger.checkpoint(new Date(t0 + interval + 1));
    assert.equal(await checkpointCount(), start + 3);
    assert.equal(Number(forced!.size), await a.ledger.size());
    // A checkpoint dated far from now (a simulated clock) does not hold the schedule back.
    await appendEvents(db(), events(5, 3400));
    await a.ledger.integrate();
    await a.ledger.checkpoint(new Date(t0 - 10 * interval), { minIntervalMs: interval, integrate: false });
    assert.equal(await checkpointCount(), start + 4);
  });

  it(
    'decides under the ledger_state row lock: a process that waited for it while the other signed and the tree grew signs nothing',
    { skip: BACKEND !== 'postgres' && 'the race of two processes on one PostgreSQL' },
    async () => {
      const interval = 30_000;
      const at = new Date(Date.now() + 10 * interval);
      await appendEvents(db(), events(10, 4000));
      await a.ledger.integrate();
      await appendEvents(db(), events(10, 4100));
      const start = await checkpointCount();
      // A third connection holds the row lock, so that both processes pass the unlocked check first and then queue: A to sign, B to integrate, then B to sign.
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let locked!: () => void;
      const isLocked = new Promise<void>((resolve) => (locked = resolve));
      const holder = db()
        .transaction()
        .execute(async (trx) => {
          await sql`UPDATE ledger_state SET size = size WHERE id = 1`.execute(trx);
          locked();
          await released;
        });
      await isLocked;
      // Each one queued behind the lock before the next starts: waited for in PostgreSQL's own view
      // of who waits for a lock on ledger_state (a loaded machine is slow), then the same pause as
      // before, since a backend shows as waiting a little before its place in the queue is settled.
      const waiting = async (n: number) => {
        for (const deadline = Date.now() + 20_000; Date.now() < deadline; await sleep(20)) {
          const row = await sql<{
            n: number;
          }>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE '%ledger_state%' AND pid <> pg_backend_pid()`.execute(
            db(),
          );
          if (Number(row.rows[0]!.n) >= n) return;
        }
        assert.fail(`${n} waiting on ledger_state within 20 s`);
      };
      const signA = a.ledger.checkpoint(at, { minIntervalMs: interval, integrate: false });
      await waiting(1);
      await sleep(300);
      const integrateB = b.ledger.integrate();
      await waiting(2);
      await sleep(300);
      const signB = b.ledger.checkpoint(at, { minIntervalMs: interval, integrate: false });
      await waiting(3);
      await sleep(300);
      release();
      await Promise.all([holder, signA, integrateB, signB]);
      assert.equal(
        await b.ledger.size(),
        Number((await a.ledger.latestCheckpoint())!.size) + 10,
        'B integrated after A signed',
      );
      assert.equal(
        await checkpointCount(),
        start + 1,
        'B found A’s checkpoint under the lock and did not sign the grown tree',
      );
    },
  );

  it(
    'two servers running the schedule side by side sign at most one checkpoint per interval, while appends go on',
    { timeout: 60_000 },
    async () => {
      const interval = 400;
      const errors: unknown[] = [];
      const onError = (error: unknown) => errors.push(error);
      await a.ledger.integrate();
      const sizeBefore = Number((await a.ledger.latestCheckpoint())!.size);
      const from = Date.now();
      const schedules = [a, b].map((runtime) =>
        startLedgerSchedule(runtime.ledger, { integrateEveryMs: 25, checkpointEveryMs: interval, onError }),
      );
      let appended = 0;
      try {
        while (Date.now() - from < 2_500) {
          await appendEvents(appended % 2 ? a.database.db : b.database.db, events(20, 5000 + appended));
          appended += 20;
          await sleep(10);
        }
      } finally {
        await Promise.all(schedules.map((s) => s.stop()));
      }
      const elapsed = Date.now() - from;
      assert.deepEqual(errors, []);
      const signed = (await a.ledger.checkpoints({ limit: 10_000 })).filter((c) => Number(c.size) > sizeBefore);
      assert.ok(signed.length >= 2, `the schedule signed while the tree grew (${signed.length})`);
      assert.ok(
        signed.length <= Math.floor(elapsed / interval) + 1,
        `${signed.length} checkpoints in ${elapsed} ms, one per ${interval} ms at most`,
      );
      for (let i = 1; i < signed.length; i++) {
        const gap = Date.parse(signed[i]!.at) - Date.parse(signed[i - 1]!.at);
        assert.ok(gap >= interval, `checkpoints ${signed[i - 1]!.size} and ${signed[i]!.size} signed ${gap} ms apart`);
      }
      await a.ledger.integrate();
    },
  );

  it('a tick never overlaps the previous one, integrates a bounded amount and asks for a checkpoint only by the interval', async () => {
    let running = 0;
    let overlapped = false;
    const calls: Array<{ method: string; options: unknown }> = [];
    const fake = {
      async integrate(options: unknown) {
        calls.push({ method: 'integrate', options });
        running += 1;
        if (running > 1) overlapped = true;
        await sleep(120);
        running -= 1;
        return 0;
      },
      async ensurePartitions() {
        calls.push({ method: 'ensurePartitions', options: undefined });
      },
      async checkpoint(_now: Date, options: unknown) {
        calls.push({ method: 'checkpoint', options });
        return undefined;
      },
    };
    const schedule = startLedgerSchedule(fake as unknown as Ledger, {
      integrateEveryMs: 10,
      checkpointEveryMs: 5_000,
      maxBatchesPerTick: 3,
      onError: () => undefined,
    });
    await sleep(400);
    await schedule.stop();
    assert.equal(overlapped, false);
    const integrations = calls.filter((c) => c.method === 'integrate');
    assert.ok(integrations.length >= 2 && integrations.length <= 4, `${integrations.length} ticks of 120 ms in 400 ms`);
    assert.deepEqual(integrations[0]!.options, { maxBatches: 3 });
    assert.deepEqual(calls.find((c) => c.method === 'checkpoint')!.options, {
      minIntervalMs: 5_000,
      integrate: false,
      verifyBudgetMs: 2_000,
    });
    assert.equal(calls.filter((c) => c.method === 'ensurePartitions').length, 1);
  });
});
