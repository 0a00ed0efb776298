import { sql } from 'kysely';
import type { Executor, Flavour } from '../store/index.ts';
import { HASH_BYTES } from './merkle.ts';

/**
 * How `ledger verify` reads the log: a page at once (one row of hex leaf hashes, one row of
 * concatenated events) when it can be, else row by row.
 */

/**
 * Page [start, stop) of the stored leaves in one row: hex of their concatenation, when every
 * position holds exactly one 32-byte hash (otherwise the page is read row by row).
 */
export async function readLeaves(
  db: Executor,
  flavour: Flavour,
  start: number,
  stop: number,
): Promise<Uint8Array | undefined> {
  // Aggregated in index order from an ordered subquery (no sort); were the order not kept, the
  // page would merely not be dense and be read row by row.
  const row =
    flavour === 'sqlite'
      ? (
          await sql<{ hex: string | null; n: number; lo: number | null; hi: number | null; ok: number | null }>`
            SELECT group_concat(hex(hash), '') AS hex, count(*) AS n, min(idx) AS lo, max(idx) AS hi, min(typeof(hash) = 'blob' AND length(hash) = 32) AS ok
            FROM (SELECT idx, hash FROM ledger_nodes WHERE level = 0 AND idx >= ${start} AND idx < ${stop} ORDER BY idx)`.execute(
            db,
          )
        ).rows[0]
      : (
          await sql<{ hex: string | null; n: number; lo: number | null; hi: number | null; ok: boolean | null }>`
            SELECT encode(string_agg(hash, ''::bytea), 'hex') AS hex, count(*) AS n, min(idx) AS lo, max(idx) AS hi, bool_and(octet_length(hash) = 32) AS ok
            FROM (SELECT idx, hash FROM ledger_nodes WHERE level = 0 AND idx >= ${start} AND idx < ${stop} ORDER BY idx) AS page`.execute(
            db,
          )
        ).rows[0];
  if (
    !row ||
    Number(row.n) !== stop - start ||
    Number(row.lo) !== start ||
    Number(row.hi) !== stop - 1 ||
    !row.ok ||
    row.hex === null
  )
    return undefined;
  const leaves = new Uint8Array((stop - start) * HASH_BYTES);
  if (row.hex.length !== 2 * leaves.length) return undefined;
  leaves.set(Buffer.from(row.hex, 'hex'));
  return leaves;
}

/**
 * The events of positions [from, stop) in one row: their fields concatenated, and the lengths
 * to cut them apart (see PageJob). Undefined when a column holds something else than text
 * (SQLite does not enforce types): the page is then read row by row.
 */
export async function readEvents(
  db: Executor,
  flavour: Flavour,
  from: number,
  stop: number,
): Promise<{ text: string; lengths: string } | undefined> {
  if (flavour === 'sqlite') {
    const row = (
      await sql<{ text: string | null; lengths: string | null; typed: number | null }>`
        SELECT group_concat(body || id || at || kind || coalesce(account_id, '') || coalesce(actor_id, '') || coalesce(organisation_id, '') || coalesce(person_id, ''), '') AS text,
          group_concat(seq || ',' || length(body) || ',' || length(id) || ',' || length(at) || ',' || length(kind) || ',' || coalesce(length(account_id), -1) || ',' || coalesce(length(actor_id), -1)
            || ',' || coalesce(length(organisation_id), -1) || ',' || coalesce(length(person_id), -1), ',') AS lengths,
          min(typeof(seq) = 'integer' AND typeof(body) = 'text' AND typeof(id) = 'text' AND typeof(at) = 'text' AND typeof(kind) = 'text' AND typeof(account_id) IN ('text', 'null')
            AND typeof(actor_id) IN ('text', 'null') AND typeof(organisation_id) IN ('text', 'null') AND typeof(person_id) IN ('text', 'null')) AS typed
        FROM (SELECT * FROM ledger_events WHERE seq >= ${from} AND seq < ${stop} ORDER BY seq)`.execute(db)
    ).rows[0];
    if (!row || row.typed === 0) return undefined;
    return { text: row.text ?? '', lengths: row.lengths ?? '' };
  }
  const row = (
    await sql<{ text: string | null; lengths: string | null }>`
      SELECT string_agg(concat(body, id, at, kind, account_id, actor_id, organisation_id, person_id), '') AS text,
        string_agg(concat_ws(',', seq, length(body), length(id), length(at), length(kind), coalesce(length(account_id), -1), coalesce(length(actor_id), -1),
          coalesce(length(organisation_id), -1), coalesce(length(person_id), -1)), ',') AS lengths
      FROM (SELECT * FROM ledger_events WHERE seq >= ${from} AND seq < ${stop} ORDER BY seq) AS page`.execute(db)
  ).rows[0];
  return { text: row?.text ?? '', lengths: row?.lengths ?? '' };
}

/** A stored event as the row-by-row reading sees it: what its leaf is recomputed from. */
export type EventRow = {
  id: string;
  seq: number | null;
  at: string;
  kind: string;
  account_id: string | null;
  actor_id: string | null;
  organisation_id: string | null;
  person_id: string | null;
  body: string;
};

/**
 * Page [start, stop) read row by row, and the two positions after it (where a shifted event
 * may sit): the stored leaf hash of each position, and every event row claiming each `seq`.
 */
export async function readPageRows(
  db: Executor,
  start: number,
  stop: number,
): Promise<{ leaves: Map<number, Buffer>; events: EventRow[] }> {
  const leaves = new Map<number, Buffer>();
  for (const leaf of await db
    .selectFrom('ledger_nodes')
    .select(['idx', 'hash'])
    .where('level', '=', 0)
    .where('idx', '>=', start)
    .where('idx', '<', stop + 2)
    .execute()) {
    leaves.set(Number(leaf.idx), Buffer.from(leaf.hash));
  }
  const events = await db
    .selectFrom('ledger_events')
    .selectAll()
    .where('seq', '>=', start)
    .where('seq', '<', stop + 2)
    .orderBy('seq')
    .execute();
  return { leaves, events };
}
