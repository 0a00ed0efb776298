import { sql } from 'kysely';
import { inTransaction, type Executor, type Flavour } from '../store/index.ts';
import type { BodyRewrite } from './person-chain.ts';
import { nodeHash32, storedLeafHash } from './stored-leaf.ts';

/**
 * The statements of one integration batch, each one round trip whatever the batch size:
 * pending events in order, their leaf hashes appended to the stored tree, their `seq` set.
 * (The generic path — Kysely multi-row VALUES in chunks of 3,333 rows, a subtree read per
 * completed node — cost most of the integration time: ledger issue 18.)
 */

export interface PendingEvent {
  id: string;
  at: string;
  body: string;
  /** The lookup columns that say whether the event joins a person's journal chain (person-chain.ts). */
  kind: string;
  person_id: string | null;
}

/** Integrate only events at or before this one in the order (at, id): what was pending when asked. */
export interface PendingBound {
  at: string;
  id: string;
}

/**
 * PostgreSQL's planner, without fresh statistics (a burst of appends), reads every pending
 * event and sorts them all for each batch (an external sort on disk past a few thousand)
 * rather than walking ledger_events_pending, which is already in order: forbid the sort for
 * the one statement (as SQLite is told INDEXED BY).
 */
async function withoutSort<T>(trx: Executor, work: () => Promise<T>): Promise<T> {
  await sql`SET LOCAL enable_sort = off`.execute(trx);
  // On failure the transaction is rolled back, and the setting with it.
  const result = await work();
  await sql`RESET enable_sort`.execute(trx);
  return result;
}

/** The newest pending event, which bounds an integration to what is pending now; undefined when none. */
export async function newestPending(db: Executor, flavour: Flavour): Promise<PendingBound | undefined> {
  const row =
    flavour === 'sqlite'
      ? (
          await sql<PendingBound>`SELECT at, id FROM ledger_events INDEXED BY ledger_events_pending WHERE seq IS NULL ORDER BY at DESC, id DESC LIMIT 1`.execute(
            db,
          )
        ).rows[0]
      : await inTransaction(db, (trx) =>
          withoutSort(
            trx,
            async () =>
              (
                await sql<PendingBound>`SELECT at, id FROM ledger_events WHERE seq IS NULL ORDER BY at DESC, id DESC LIMIT 1`.execute(
                  trx,
                )
              ).rows[0],
          ),
        );
  return row ? { at: row.at, id: row.id } : undefined;
}

/** How many events wait to be integrated, and when the oldest was recorded: one walk of the pending index. */
export async function pendingBacklog(
  db: Executor,
  flavour: Flavour,
): Promise<{ pending: number; oldestPendingAt: string | null }> {
  const row = (
    flavour === 'sqlite'
      ? await sql<{
          n: number | string;
          oldest: string | null;
        }>`SELECT count(*) AS n, min(at) AS oldest FROM ledger_events INDEXED BY ledger_events_pending WHERE seq IS NULL`.execute(
          db,
        )
      : await sql<{
          n: number | string;
          oldest: string | null;
        }>`SELECT count(*) AS n, min(at) AS oldest FROM ledger_events WHERE seq IS NULL`.execute(db)
  ).rows[0];
  return { pending: Number(row?.n ?? 0), oldestPendingAt: row?.oldest ?? null };
}

/** The oldest pending events, in the order they are numbered, up to `limit` and the bound. */
export async function selectPending(
  trx: Executor,
  flavour: Flavour,
  limit: number,
  bound?: PendingBound,
): Promise<PendingEvent[]> {
  // A row comparison, which both stores take as a bound on the (at, id) index.
  const upTo = bound ? sql`AND (at, id) <= (${bound.at}, ${bound.id})` : sql``;
  if (flavour === 'sqlite') {
    // SQLite's planner, without statistics, drives `seq IS NULL` through ledger_events_by_seq and
    // sorts every pending event for each batch: name the partial index that is already in order.
    return (
      await sql<PendingEvent>`SELECT id, at, body, kind, person_id FROM ledger_events INDEXED BY ledger_events_pending WHERE seq IS NULL ${upTo} ORDER BY at, id LIMIT ${limit}`.execute(
        trx,
      )
    ).rows;
  }
  return withoutSort(
    trx,
    async () =>
      (
        await sql<PendingEvent>`SELECT id, at, body, kind, person_id FROM ledger_events WHERE seq IS NULL ${upTo} ORDER BY at, id LIMIT ${limit}`.execute(
          trx,
        )
      ).rows,
  );
}

/** Leaf hashes of stored bodies (the fast exact way for canonical ones: `storedLeafHash`). */
export function leafHashesOf(events: readonly PendingEvent[]): Buffer[] {
  return events.map((event) => storedLeafHash(event.body));
}

/**
 * Give the events their leaf indexes `size`, `size + 1`, … in one statement; with `rewrites`,
 * the stored bodies change in the same statement (the chain links, person-chain.ts): the link's
 * text spliced in by the store at a character offset (only a few dozen characters travel), or
 * a whole new body.
 */
export async function assignSeq(
  trx: Executor,
  flavour: Flavour,
  events: readonly PendingEvent[],
  size: number,
  rewrites?: ReadonlyArray<BodyRewrite | null>,
): Promise<void> {
  if (events.length === 0) return;
  if (flavour === 'sqlite' && rewrites) {
    // [id] unchanged, [id, insert, at] spliced, [id, body] replaced.
    const rows = JSON.stringify(
      events.map((e, i) => {
        const r = rewrites[i];
        return !r ? [e.id] : 'body' in r ? [e.id, r.body] : [e.id, r.insert, r.at];
      }),
    );
    const result = await sql`UPDATE ledger_events SET seq = ${size} + j.key,
        body = CASE WHEN j.value ->> 1 IS NULL THEN ledger_events.body
          WHEN j.value ->> 2 IS NULL THEN j.value ->> 1
          ELSE substr(ledger_events.body, 1, j.value ->> 2) || (j.value ->> 1) || substr(ledger_events.body, (j.value ->> 2) + 1) END
      FROM json_each(${rows}) AS j
      WHERE ledger_events.id = j.value ->> 0 AND +ledger_events.seq IS NULL`.execute(trx);
    checkUpdated(result.numAffectedRows, events.length);
    return;
  }
  if (flavour === 'sqlite') {
    // json_each's key is the index in the array. `+seq`: SQLite would otherwise scan every pending
    // event through ledger_events_by_seq for each row (quadratic in the backlog).
    const ids = JSON.stringify(events.map((e) => e.id));
    const result = await sql`UPDATE ledger_events SET seq = ${size} + j.key
      FROM json_each(${ids}) AS j
      WHERE ledger_events.id = j.value AND +ledger_events.seq IS NULL`.execute(trx);
    checkUpdated(result.numAffectedRows, events.length);
    return;
  }
  const result = rewrites
    ? await sql`UPDATE ledger_events SET seq = ${size - 1} + v.n,
        body = CASE WHEN v.text IS NULL THEN ledger_events.body
          WHEN v.pos IS NULL THEN v.text
          ELSE left(ledger_events.body, v.pos) || v.text || substr(ledger_events.body, v.pos + 1) END
      FROM unnest(
        ${events.map((e) => e.id)}::text[], ${events.map((e) => e.at)}::text[],
        ${rewrites.map((r) => (!r ? null : 'body' in r ? r.body : r.insert))}::text[], ${rewrites.map((r) => (r && 'at' in r ? r.at : null))}::int[]
      ) WITH ORDINALITY AS v(id, at, text, pos, n)
      WHERE ledger_events.id = v.id AND ledger_events.at = v.at AND ledger_events.seq IS NULL`.execute(trx)
    : await sql`UPDATE ledger_events SET seq = ${size - 1} + v.n
      FROM unnest(${events.map((e) => e.id)}::text[], ${events.map((e) => e.at)}::text[]) WITH ORDINALITY AS v(id, at, n)
      WHERE ledger_events.id = v.id AND ledger_events.at = v.at AND ledger_events.seq IS NULL`.execute(trx);
  checkUpdated(result.numAffectedRows, events.length);
}

function checkUpdated(affected: bigint | undefined, expected: number): void {
  // Under the ledger_state lock nobody else numbers events: anything else is a bug, and the
  // transaction must not commit a tree that disagrees with the events.
  if (affected !== undefined && Number(affected) !== expected)
    throw new Error(`ledger integration: ${affected} events numbered, ${expected} expected`);
}

/** The perfect subtrees a tree of `size` leaves splits into, largest (leftmost) first: (level, index). */
export function frontierOf(size: number): Array<{ level: number; index: number }> {
  const out: Array<{ level: number; index: number }> = [];
  let covered = 0;
  for (let level = Math.floor(Math.log2(Math.max(1, size))) + 1; level >= 0; level--) {
    const width = 2 ** level;
    if (size - covered >= width) {
      out.push({ level, index: covered / width });
      covered += width;
    }
  }
  return out;
}

/** The stored hashes of the perfect subtrees a tree of `size` leaves splits into, by `level/index` (one query). */
export async function frontierHashes(
  db: Executor,
  size: number,
): Promise<{ frontier: Array<{ level: number; index: number }>; found: Map<string, Buffer> }> {
  const frontier = frontierOf(size);
  if (frontier.length === 0) return { frontier, found: new Map() };
  const rows = await db
    .selectFrom('ledger_nodes')
    .select(['level', 'idx', 'hash'])
    .where((eb) => eb.or(frontier.map((f) => eb.and([eb('level', '=', f.level), eb('idx', '=', f.index)]))))
    .execute();
  return { frontier, found: new Map(rows.map((r) => [`${r.level}/${Number(r.idx)}`, Buffer.from(r.hash)])) };
}

/**
 * Append leaf hashes to the stored tree of `size` leaves (`StoredTree.append`'s rows, computed
 * in memory from the tree's right edge, read once), in one INSERT; returns the new size.
 */
export async function appendLeaves(
  trx: Executor,
  flavour: Flavour,
  size: number,
  leaves: readonly Buffer[],
): Promise<number> {
  if (leaves.length === 0) return size;
  const stack: Array<{ level: number; hash: Buffer }> = [];
  const { frontier, found } = await frontierHashes(trx, size);
  if (frontier.length > 0) {
    for (const f of frontier) {
      const hash = found.get(`${f.level}/${f.index}`);
      if (!hash) throw new Error(`ledger tree: subtree ${f.level}/${f.index} is missing`);
      stack.push({ level: f.level, hash });
    }
  }
  const levels: number[] = [];
  const indexes: number[] = [];
  const hashes: Buffer[] = [];
  for (let offset = 0; offset < leaves.length; offset++) {
    const index = size + offset;
    let node = { level: 0, hash: leaves[offset]! };
    levels.push(0);
    indexes.push(index);
    hashes.push(node.hash);
    while (stack.length > 0 && stack.at(-1)!.level === node.level) {
      const left = stack.pop()!;
      node = { level: node.level + 1, hash: nodeHash32(left.hash, node.hash) };
      levels.push(node.level);
      indexes.push(Math.floor(index / 2 ** node.level));
      hashes.push(node.hash);
    }
    stack.push(node);
  }
  if (flavour === 'sqlite') {
    const rows = JSON.stringify(levels.map((level, i) => [level, indexes[i], hashes[i]!.toString('hex')]));
    await sql`INSERT INTO ledger_nodes (level, idx, hash) SELECT j.value ->> 0, j.value ->> 1, unhex(j.value ->> 2) FROM json_each(${rows}) AS j`.execute(
      trx,
    );
  } else {
    await sql`INSERT INTO ledger_nodes (level, idx, hash) SELECT * FROM unnest(${levels}::int[], ${indexes}::bigint[], ${hashes}::bytea[])`.execute(
      trx,
    );
  }
  return size + leaves.length;
}
