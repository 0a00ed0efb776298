/**
 * The price of the access ledger (ledger issue), each figure next to a baseline from the same run:
 *
 * 1. Durable appends per second through appendEvent, with 1, 64 and 512 callers in flight (what
 *    a busy server sees: concurrent requests share one group commit), next to a plain INSERT of
 *    the same rows (eventRow) into a table of the same columns and indexes, replaying exactly
 *    the group sizes the ledger used (one transaction per group): the ratio is what recording
 *    an event costs beyond storing its row. A naive one-transaction-per-row insert shows what
 *    group commit buys. Counts are capped by time (BENCH_LEDGER_EVENTS, default 20,000 a run).
 * 2. Integration of those events into the Merkle tree (ledger.integrate()), and the end-to-end
 *    rate of appending then integrating — one after the other, and overlapped the way a server
 *    runs it (startLedgerSchedule: a tick every 500 ms integrating at most 4 batches of 5,000,
 *    the clock stopping when every event is in the tree) — beside the issue's target
 *    (10,000/s) and Tessera's published ~2,900 appends/s on 12 cores (context, not a
 *    like-for-like comparison).
 * 3. verifyLedger over everything appended, topped up to BENCH_LEDGER_VERIFY_EVENTS (default
 *    300,000) with a checkpoint every 100,000: events re-checked per second, with its hashing
 *    threads (the default from 150,000 events), with one, and on the main thread
 *    only, beside the goal (200,000/s) and two baselines from the same run: the same leaf
 *    hashes recomputed in memory the way the verifier did before (parse, canonicalize, hash)
 *    and the way it does now (the stored canonical text hashed as it is, storedLeafHash).
 * 4. Proofs at 10 million events: appending 10M real events would take the benchmark too long,
 *    so a tree of BENCH_LEDGER_LEAVES random leaf hashes (default 10,000,000) is written into
 *    ledger_nodes with StoredTree.append, on SQLite (PostgreSQL with BENCH_LEDGER_PG_LEAVES, off
 *    by default); then inclusion and consistency proofs are generated from the store and
 *    verified, against the time to read one stored node, since a proof reads O(log n) of them.
 *    BENCH_LEDGER_BUILD_SECONDS (default 240) stops the build early; the size used is printed.
 */
import {
  InsertQueryNode,
  RawNode,
  sql,
  ValuesNode,
  type Kysely,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
} from 'kysely';
import { randomBytes, randomInt } from 'node:crypto';
import {
  appendEvent,
  appendEvents,
  inclusionPath,
  consistencyPath,
  leafData,
  leafHash,
  parseBody,
  startLedgerSchedule,
  StoredTree,
  verifyConsistency,
  verifyInclusion,
  verifyLedger,
  type EventInput,
  type SubtreeSource,
} from '../src/ledger/index.ts';
import { storedLeafHash } from '../src/ledger/stored-leaf.ts';
import { availableParallelism } from 'node:os';
import { buildEvent, eventRow, type EventRow } from '../src/ledger/event.ts';
import type { Runtime } from '../src/runtime/index.ts';
import { chunks, type Executor, type Schema } from '../src/store/index.ts';
import type { LedgerEventsTable } from '../src/store/tables/ledger.ts';
import type { TableFn } from './policy.ts';

interface PlainSchema extends Schema {
  bench_plain_events: LedgerEventsTable;
}

export interface LedgerStore {
  name: string;
  runtime: Runtime;
  cleanup(): Promise<void>;
}

type Kind = 'sqlite' | 'postgres';

const EVENTS = Number(process.env.BENCH_LEDGER_EVENTS || 20_000);
const NAIVE_EVENTS = Math.max(1, Math.floor(EVENTS / 10));
/** No single append run lasts longer than this: at one caller in flight each event waits for its own fsync. */
const RUN_SECONDS = Number(process.env.BENCH_LEDGER_RUN_SECONDS || 8);
const CONCURRENCY = [1, 64, 512];
const LEAVES = Number(process.env.BENCH_LEDGER_LEAVES || 10_000_000);
const PG_LEAVES = Number(process.env.BENCH_LEDGER_PG_LEAVES || 0);
const BUILD_SECONDS = Number(process.env.BENCH_LEDGER_BUILD_SECONDS || 240);
const PROOFS = 1000;
const COLUMNS = 9;
/** The issue's goal, and the published figure of Google's Tessera it cites (12-core machine). */
const TARGET = 10_000;
const TESSERA = 2_900;
/** The issue's goal for `ledger verify`. */
const VERIFY_TARGET = 200_000;
/** The size of the log `ledger verify` is measured on. */
const VERIFY_EVENTS = Number(process.env.BENCH_LEDGER_VERIFY_EVENTS || 300_000);

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

const x = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
const us = (ms: number) => (ms >= 1 ? `${ms.toFixed(2)} ms` : `${(ms * 1000).toFixed(0)} µs`);

/** A typical access event: who read which classes of whose file, for what purpose. */
function input(i: number): EventInput {
  return {
    accountId: `acc-${i % 500}`,
    actorId: `actor-${i % 500}`,
    organisationId: `org-${i % 40}`,
    personId: `person-${(i * 7919) % 100_000}`,
    purpose: 'accompagnement',
    caseReference: `DOSSIER-${i}`,
    operation: 'read',
    classes: ['identity', 'contact', 'situation'],
    address: '10.1.2.3',
    requestId: `req-${i}`,
    details: { relationship: 'caseload' },
  };
}

/**
 * Sees every INSERT into ledger_events the group commit issues and notes its row count: with
 * at most 1,111 rows a statement (9 columns, 10,000 parameters) and groups below that, one
 * statement is one group, so the baseline can replay exactly the same transactions. The
 * events are inserted in SQL (`INSERT INTO ledger_events … VALUES ${sql.join(rows)}`), or by
 * the query builder; both are counted.
 */
class GroupSizes implements KyselyPlugin {
  sizes: number[] = [];
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    const node = args.node;
    if (
      InsertQueryNode.is(node) &&
      node.into?.table.identifier.name === 'ledger_events' &&
      node.values &&
      ValuesNode.is(node.values)
    ) {
      this.sizes.push(node.values.values.length);
    } else if (RawNode.is(node) && /^\s*INSERT INTO ledger_events\b/i.test(node.sqlFragments[0] ?? '')) {
      const joined = node.parameters.find((p): p is RawNode => RawNode.is(p));
      // sql.join: the rows, each `(…)`, with the separators between them.
      if (joined) this.sizes.push(joined.parameters.filter((p) => RawNode.is(p) && p.sqlFragments[0] === '(').length);
    }
    return node;
  }
  transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return Promise.resolve(args.result);
  }
}

/** ledger_events' columns, primary key and lookup indexes, without partitions nor tree. */
async function createPlainTable(db: Kysely<PlainSchema>): Promise<void> {
  await db.schema
    .createTable('bench_plain_events')
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('seq', 'bigint')
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text')
    .addColumn('actor_id', 'text')
    .addColumn('organisation_id', 'text')
    .addColumn('person_id', 'text')
    .addColumn('body', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('bench_plain_events_pk', ['id', 'at'])
    .execute();
  await db.schema.createIndex('bench_plain_by_seq').on('bench_plain_events').column('seq').execute();
  await db.schema
    .createIndex('bench_plain_pending')
    .on('bench_plain_events')
    .columns(['at', 'id'])
    .where(sql.ref('seq'), 'is', null)
    .execute();
  for (const column of ['person_id', 'actor_id', 'organisation_id', 'kind'] as const) {
    await db.schema.createIndex(`bench_plain_by_${column}`).on('bench_plain_events').columns([column, 'at']).execute();
  }
}

/** The same rows, in the same SQL as the ledger's inserts (src/ledger/append.ts), into the plain table. */
async function insertPlain(db: Kysely<PlainSchema>, rows: readonly EventRow[]): Promise<void> {
  await db.transaction().execute(async (trx) => {
    for (const part of chunks(rows, COLUMNS)) {
      const values = part.map(
        (r) =>
          sql`(${r.id}, NULL, ${r.at}, ${r.kind}, ${r.account_id}, ${r.actor_id}, ${r.organisation_id}, ${r.person_id}, ${r.body})`,
      );
      await sql`INSERT INTO bench_plain_events (id, seq, at, kind, account_id, actor_id, organisation_id, person_id, body) VALUES ${sql.join(values)}`.execute(
        trx,
      );
    }
  });
}

function freshRows(count: number, from: number): EventRow[] {
  return Array.from({ length: count }, (_, i) => eventRow(buildEvent('access_granted', input(from + i))));
}

interface AppendRun {
  inFlight: number;
  events: number;
  seconds: number;
  groups: number[];
}

/** `inFlight` callers each appending one event after the other, until `target` events or RUN_SECONDS. */
async function appendConcurrently(db: Executor, inFlight: number, target: number, from: number): Promise<AppendRun> {
  const sizes = new GroupSizes();
  const traced = db.withPlugin(sizes);
  let issued = 0;
  const start = performance.now();
  const deadline = start + RUN_SECONDS * 1000;
  const caller = async () => {
    while (issued < target && performance.now() < deadline) {
      const i = issued++;
      await appendEvent(traced, 'access_granted', input(from + i));
    }
  };
  await Promise.all(Array.from({ length: inFlight }, caller));
  const seconds = (performance.now() - start) / 1000;
  const events = sizes.sizes.reduce((a, b) => a + b, 0);
  if (events !== issued) throw new Error(`appended ${issued} events but saw ${events} rows inserted`);
  return { inFlight, events, seconds, groups: sizes.sizes };
}

async function count(db: Executor, table: 'ledger_events'): Promise<number> {
  return Number(
    (
      await db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
}

export interface LedgerRows {
  appends: Array<Array<string | number>>;
  integration: Array<Array<string | number>>;
  verification: Array<Array<string | number>>;
}

/** Sections 1–3 on one store. */
async function benchAppends(store: LedgerStore, rows: LedgerRows): Promise<void> {
  const { runtime, name } = store;
  const db = runtime.database.db;
  const plain = db as unknown as Kysely<PlainSchema>;
  const ledger = runtime.ledger;
  await createPlainTable(plain);
  let next = 0;

  // Warm-up: connections, statement caches, the first pages of every index.
  await appendEvents(
    db,
    Array.from({ length: 500 }, (_, i) => ({ kind: 'access_granted' as const, input: input(i) })),
  );
  await insertPlain(plain, freshRows(500, 0));
  await ledger.integrate();
  next += 500;

  // Naive: one transaction (one fsync) per row, no group commit.
  {
    const batch = freshRows(NAIVE_EVENTS, next);
    next += NAIVE_EVENTS;
    const start = performance.now();
    const deadline = start + RUN_SECONDS * 1000;
    let n = 0;
    while (n < batch.length && performance.now() < deadline) await insertPlain(plain, [batch[n++]!]);
    const naive = n / ((performance.now() - start) / 1000);
    rows.appends.push([name, 'plain INSERT, one transaction per event (no group commit)', 1, n, '1', '', naive, '']);
  }

  for (const inFlight of CONCURRENCY) {
    const run = await appendConcurrently(db, inFlight, EVENTS, next);
    next += run.events;
    const rate = run.events / run.seconds;
    // The same rows, the same transactions, into the plain table.
    const built = freshRows(run.events, next);
    let offset = 0;
    const start = performance.now();
    for (const size of run.groups) {
      await insertPlain(plain, built.slice(offset, offset + size));
      offset += size;
    }
    const baseline = run.events / ((performance.now() - start) / 1000);
    const meanGroup = run.events / run.groups.length;
    rows.appends.push([
      name,
      'appendEvent',
      inFlight,
      run.events,
      `${meanGroup.toFixed(1)} (max ${Math.max(...run.groups)})`,
      rate,
      baseline,
      x(baseline, rate),
    ]);

    const t = performance.now();
    const integrated = await ledger.integrate();
    const integrateSeconds = (performance.now() - t) / 1000;
    if (integrated !== run.events) throw new Error(`integrated ${integrated} events, expected ${run.events}`);
    const endToEnd = run.events / (run.seconds + integrateSeconds);
    rows.integration.push([
      name,
      inFlight,
      run.events,
      rate,
      integrated / integrateSeconds,
      endToEnd,
      x(endToEnd, TARGET),
      x(endToEnd, TESSERA),
    ]);
  }

  // Overlapped: 512 callers appending while the server's schedule runs beside them (a tick every
  // 500 ms, at most 4 batches a tick, checkpoints every 10 s); the clock stops when every event
  // is in the tree (what the next tick would have taken is integrated at once after the appends).
  {
    const errors: unknown[] = [];
    const start = performance.now();
    const schedule = startLedgerSchedule(ledger, {
      integrateEveryMs: 500,
      checkpointEveryMs: 10_000,
      onError: (error) => errors.push(error),
    });
    const sizeBefore = await ledger.size();
    let run: AppendRun;
    try {
      run = await appendConcurrently(db, 512, EVENTS, next);
    } finally {
      await schedule.stop();
    }
    const duringAppends = (await ledger.size()) - sizeBefore;
    await ledger.integrate();
    next += run.events;
    const seconds = (performance.now() - start) / 1000;
    if (errors.length > 0) throw new Error(`the schedule failed: ${String(errors[0])}`);
    const integrated = (await ledger.size()) - sizeBefore;
    if (integrated !== run.events) throw new Error(`integrated ${integrated} events, expected ${run.events}`);
    const endToEnd = run.events / seconds;
    rows.integration.push([
      name,
      `512, schedule alongside (${Math.round((100 * duringAppends) / run.events)}% during the appends)`,
      run.events,
      run.events / run.seconds,
      '',
      endToEnd,
      x(endToEnd, TARGET),
      x(endToEnd, TESSERA),
    ]);
  }

  // Bulk: one call for many events (imports), batches of up to 2,000 a transaction.
  {
    const list = Array.from({ length: EVENTS }, (_, i) => ({
      kind: 'access_granted' as const,
      input: input(next + i),
    }));
    next += EVENTS;
    let start = performance.now();
    await appendEvents(db, list);
    const rate = EVENTS / ((performance.now() - start) / 1000);
    const built = freshRows(EVENTS, next);
    start = performance.now();
    for (let i = 0; i < built.length; i += 2000) await insertPlain(plain, built.slice(i, i + 2000));
    const baseline = EVENTS / ((performance.now() - start) / 1000);
    rows.appends.push([
      name,
      'appendEvents (one call, bulk)',
      'one call',
      EVENTS,
      '2000',
      rate,
      baseline,
      x(baseline, rate),
    ]);
    const t = performance.now();
    const integrated = await ledger.integrate();
    const integrateSeconds = (performance.now() - t) / 1000;
    const endToEnd = EVENTS / (EVENTS / rate + integrateSeconds);
    rows.integration.push([
      name,
      'bulk appendEvents',
      EVENTS,
      rate,
      integrated / integrateSeconds,
      endToEnd,
      x(endToEnd, TARGET),
      x(endToEnd, TESSERA),
    ]);
  }

  // Verification of everything appended, under signed checkpoints: the log is first topped up to
  // BENCH_LEDGER_VERIFY_EVENTS (bulk appends, a checkpoint every 100,000), so that starting the
  // hashing threads (≈ 0.3 s of CPU each) weighs what it weighs on a log worth verifying.
  for (let n = await count(db, 'ledger_events'); n < VERIFY_EVENTS;) {
    const chunk = Math.min(10_000, VERIFY_EVENTS - n);
    await appendEvents(
      db,
      Array.from({ length: chunk }, (_, i) => ({ kind: 'access_granted' as const, input: input(next + i) })),
    );
    next += chunk;
    n += chunk;
    if (n % 100_000 < chunk) await ledger.checkpoint();
  }
  const checkpoint = await ledger.checkpoint();
  if (!checkpoint) throw new Error('no checkpoint signed');
  const total = await count(db, 'ledger_events');
  // Baselines: the same leaf hashes recomputed from the same bodies, already in memory.
  const bodies = (await db.selectFrom('ledger_events').select('body').execute()).map((r) => r.body);
  let start = performance.now();
  for (const body of bodies) leafHash(leafData(parseBody(body)));
  const slowHashRate = bodies.length / ((performance.now() - start) / 1000);
  start = performance.now();
  for (const body of bodies) storedLeafHash(body);
  const fastHashRate = bodies.length / ((performance.now() - start) / 1000);
  const threads = Math.min(4, availableParallelism());
  for (const workers of [...new Set([threads, 1, 0])]) {
    let whole = 0;
    let pages = 0;
    start = performance.now();
    const report = await verifyLedger(db, ledger, {
      workers,
      onPage: (page) => {
        pages += 1;
        if (page.whole) whole += 1;
      },
    });
    const verifySeconds = (performance.now() - start) / 1000;
    if (!report.ok || report.eventsChecked !== total)
      throw new Error(
        `verifyLedger: ok=${report.ok}, ${report.eventsChecked} of ${total} events checked: ${report.findings[0]?.message ?? ''}`,
      );
    if (whole !== pages) throw new Error(`verifyLedger took ${whole} of ${pages} pages whole on a clean log`);
    const verifyRate = report.eventsChecked / verifySeconds;
    rows.verification.push([
      name,
      workers === 0 ? 'main thread only' : `${workers} hashing thread${workers > 1 ? 's' : ''}`,
      report.eventsChecked,
      `${verifySeconds.toFixed(2)} s`,
      verifyRate,
      x(verifyRate, VERIFY_TARGET),
      slowHashRate,
      fastHashRate,
      x(verifyRate, slowHashRate),
    ]);
  }
}

/** Counts the stored subtrees a proof reads. */
class CountingSource implements SubtreeSource {
  reads = 0;
  readonly #tree: StoredTree;
  constructor(tree: StoredTree) {
    this.#tree = tree;
  }
  subtree(level: number, index: number): Promise<Buffer> {
    this.reads += 1;
    return this.#tree.subtree(level, index);
  }
}

export function quantiles(samples: number[]): { p50: number; p99: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { p50: at(0.5), p99: at(0.99) };
}

/** Milliseconds of each call. */
async function timeEach<T>(items: readonly T[], fn: (item: T) => Promise<unknown> | unknown): Promise<number[]> {
  const out: number[] = [];
  for (const item of items) {
    const start = performance.now();
    await fn(item);
    out.push(performance.now() - start);
  }
  return out;
}

/** Random leaf hashes straight into ledger_nodes, in big batches, until `leaves` or the time budget. */
async function buildTree(
  store: LedgerStore,
  leaves: number,
): Promise<{ size: number; seconds: number; stopped: boolean }> {
  const db = store.runtime.database.db;
  const tree = new StoredTree(db);
  const batch = 100_000;
  const start = performance.now();
  let size = 0;
  let stopped = false;
  while (size < leaves) {
    if ((performance.now() - start) / 1000 > BUILD_SECONDS) {
      stopped = true;
      break;
    }
    const n = Math.min(batch, leaves - size);
    const random = randomBytes(32 * n);
    const hashes = Array.from({ length: n }, (_, i) => random.subarray(32 * i, 32 * (i + 1)));
    size = await tree.append(hashes);
    const seconds = (performance.now() - start) / 1000;
    process.stderr.write(
      `\r  ${store.name}: building the tree, ${fmt(size)} / ${fmt(leaves)} leaves, ${seconds.toFixed(0)} s, ${fmt(size / seconds)} leaves/s   `,
    );
  }
  process.stderr.write('\n');
  // The log's own size, so that the Ledger API (which checks it) serves proofs at this size.
  await db.updateTable('ledger_state').set({ size }).where('id', '=', 1).execute();
  return { size, seconds: (performance.now() - start) / 1000, stopped };
}

export interface ProofRows {
  build: Array<Array<string | number>>;
  proofs: Array<Array<string | number>>;
}

/** Section 4 on one fresh store. */
async function benchProofs(store: LedgerStore, leaves: number, rows: ProofRows): Promise<void> {
  const { runtime, name } = store;
  const db = runtime.database.db;
  const ledger = runtime.ledger;
  const built = await buildTree(store, leaves);
  const size = built.size;
  const nodes = Number(
    (
      await db
        .selectFrom('ledger_nodes')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
  rows.build.push([
    name,
    size,
    nodes,
    `${built.seconds.toFixed(0)} s${built.stopped ? ` (stopped at BENCH_LEDGER_BUILD_SECONDS=${BUILD_SECONDS})` : ''}`,
    size / built.seconds,
  ]);

  const tree = new StoredTree(db);
  const rootStart = performance.now();
  const root = await tree.root(size);
  const rootMs = performance.now() - rootStart;
  const indexes = Array.from({ length: PROOFS }, () => randomInt(size));

  // Baseline: one stored node read at random, as a proof does O(log n) times.
  const nodeReads = await timeEach(
    Array.from({ length: PROOFS }, () => randomInt(size)),
    (i) => tree.subtree(0, i),
  );
  const read = quantiles(nodeReads);

  // Warm-up, and the number of stored nodes each proof reads.
  const counting = new CountingSource(tree);
  let lengths = 0;
  for (const i of indexes.slice(0, 100)) lengths += (await inclusionPath(counting, i, 0, size)).length;
  const readsPerProof = counting.reads / 100;

  const proofs = new Map<number, Buffer[]>();
  const generation = quantiles(
    await timeEach(indexes, async (i) => proofs.set(i, await ledger.inclusionProof(i, size))),
  );
  const leavesAt = new Map<number, Buffer>();
  for (const i of indexes) leavesAt.set(i, await ledger.leafHashAt(i));
  for (let k = 0; k < 200; k++)
    verifyInclusion(BigInt(indexes[k]!), BigInt(size), leavesAt.get(indexes[k]!)!, proofs.get(indexes[k]!)!, root);
  let failures = 0;
  const verification = quantiles(
    await timeEach(indexes, (i) => {
      if (!verifyInclusion(BigInt(i), BigInt(size), leavesAt.get(i)!, proofs.get(i)!, root)) failures++;
    }),
  );
  if (failures > 0) throw new Error(`${failures} inclusion proofs did not verify`);
  const proofLength = `${(lengths / 100).toFixed(1)} hashes`;
  rows.proofs.push([
    name,
    size,
    'inclusion proof, generate (Ledger.inclusionProof)',
    proofLength,
    readsPerProof.toFixed(1),
    us(generation.p50),
    us(generation.p99),
    us(read.p50),
    x(generation.p50, read.p50),
  ]);
  rows.proofs.push([
    name,
    size,
    'inclusion proof, verify (verifyInclusion)',
    proofLength,
    '0',
    us(verification.p50),
    us(verification.p99),
    '',
    '',
  ]);

  // Consistency from a random earlier size to the full tree, as a witness asks for.
  const froms = Array.from({ length: Math.min(PROOFS, 300) }, () => 1 + randomInt(size - 1));
  const countingConsistency = new CountingSource(tree);
  let consistencyLength = 0;
  for (const from of froms.slice(0, 50))
    consistencyLength += (await consistencyPath(countingConsistency, from, size)).length;
  const consistencyProofs = new Map<number, Buffer[]>();
  const consistency = quantiles(
    await timeEach(froms, async (from) => consistencyProofs.set(from, await ledger.consistencyProof(from, size))),
  );
  const oldRoots = new Map<number, Buffer>();
  for (const from of froms.slice(0, 50)) oldRoots.set(from, await tree.root(from));
  const consistencyVerify = quantiles(
    await timeEach(froms.slice(0, 50), (from) => {
      if (!verifyConsistency(BigInt(from), BigInt(size), consistencyProofs.get(from)!, oldRoots.get(from)!, root))
        throw new Error(`consistency proof ${from} → ${size} did not verify`);
    }),
  );
  const cLength = `${(consistencyLength / 50).toFixed(1)} hashes`;
  rows.proofs.push([
    name,
    size,
    'consistency proof, generate (Ledger.consistencyProof)',
    cLength,
    (countingConsistency.reads / 50).toFixed(1),
    us(consistency.p50),
    us(consistency.p99),
    us(read.p50),
    x(consistency.p50, read.p50),
  ]);
  rows.proofs.push([
    name,
    size,
    'consistency proof, verify (verifyConsistency)',
    cLength,
    '0',
    us(consistencyVerify.p50),
    us(consistencyVerify.p99),
    '',
    '',
  ]);
  rows.proofs.push([
    name,
    size,
    'root of the whole tree (StoredTree.root, once)',
    '1 hash',
    '',
    us(rootMs),
    '',
    us(read.p50),
    x(rootMs, read.p50),
  ]);
}

export async function benchLedger(
  kinds: readonly Kind[],
  table: TableFn,
  openStore: (kind: Kind) => Promise<LedgerStore>,
): Promise<void> {
  const rows: LedgerRows = { appends: [], integration: [], verification: [] };
  for (const kind of kinds) {
    const store = await openStore(kind);
    try {
      await benchAppends(store, rows);
    } finally {
      await store.cleanup();
    }
  }
  table(
    `Ledger: durable appends/s (SQLite synchronous=FULL, WAL; PostgreSQL default fsync), vs a plain INSERT of the same rows in the same transactions; up to ${fmt(EVENTS)} events or ${RUN_SECONDS} s a run`,
    ['store', 'writer', 'in flight', 'events', 'events/transaction', 'ledger/s', 'plain/s', 'cost'],
    rows.appends,
  );
  table(
    `Ledger: integration into the Merkle tree (ledger.integrate(), batches of 5,000), then appends + integration end to end (one after the other, or with the server's schedule alongside); target ${fmt(TARGET)}/s, Tessera reports ~${fmt(TESSERA)} appends/s on 12 cores (context only)`,
    ['store', 'in flight', 'events', 'appends/s', 'integrated/s', 'end to end/s', 'vs 10,000/s', 'vs Tessera'],
    rows.integration,
  );
  table(
    `Ledger: verifyLedger after a signed checkpoint, events/s, against the goal (${fmt(VERIFY_TARGET)}/s) and the same leaf hashes recomputed in memory, as before (parse + canonicalize) and as now (stored canonical text hashed as it is)`,
    [
      'store',
      'hashing',
      'events',
      'time',
      'verified/s',
      'vs 200,000/s',
      'in memory, before/s',
      'in memory, now/s',
      'vs before in memory',
    ],
    rows.verification,
  );

  const proofRows: ProofRows = { build: [], proofs: [] };
  const targets: Array<[Kind, number]> = [['sqlite', LEAVES]];
  if (kinds.includes('postgres') && PG_LEAVES > 0) targets.push(['postgres', PG_LEAVES]);
  for (const [kind, leaves] of targets) {
    const store = await openStore(kind);
    try {
      await benchProofs(store, leaves, proofRows);
    } finally {
      await store.cleanup();
    }
  }
  table(
    'Ledger: a tree of random leaf hashes written straight into ledger_nodes (StoredTree.append, 100,000 leaves a transaction)',
    ['store', 'leaves', 'stored nodes', 'time', 'leaves/s'],
    proofRows.build,
  );
  table(
    `Ledger: proofs from the stored tree, ${fmt(PROOFS)} random leaves (consistency: 300 random earlier sizes), vs reading one stored node at random${PG_LEAVES > 0 ? '' : ' — SQLite only (BENCH_LEDGER_PG_LEAVES=n adds PostgreSQL)'}`,
    ['store', 'size', 'operation', 'proof length', 'nodes read', 'median', 'p99', 'one node read', 'vs one read'],
    proofRows.proofs,
  );
}
