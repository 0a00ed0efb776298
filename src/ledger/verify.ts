import { availableParallelism } from 'node:os';
import { sql } from 'kysely';
import type { Executor, Flavour } from '../store/index.ts';
import type { Ledger } from './log.ts';
import { HASH_BYTES } from './merkle.ts';
import { checkStoredEvent, EVENT_OK, EVENT_UNREADABLE } from './stored-leaf.ts';
import { NodeRange, type PageJob, type PageResult } from './verify-page.ts';
import { inlineHasher, workerHasher, type PageHasher } from './verify-pool.ts';

export type FindingKind =
  'modified' | 'deleted' | 'inserted' | 'reordered' | 'truncated' | 'tree' | 'checkpoint' | 'rollback';

/** One thing wrong with the log, in French for the operator, with the event's position and id where there is one. */
export interface Finding {
  kind: FindingKind;
  index?: number;
  eventId?: string;
  message: string;
}

export interface VerifyReport {
  ok: boolean;
  /** The last signed checkpoint verified against, if any. */
  checkpoint?: { size: number; at: string };
  checkpointsChecked: number;
  /** Events recomputed from their stored bodies. */
  eventsChecked: number;
  /** Events whose bodies were pruned: taken on their stored leaf hashes. */
  pruned: number;
  /** Events recorded but not yet in the tree. */
  pending: number;
  /** Events in the tree but not yet under a signed checkpoint. */
  unsigned: number;
  findings: Finding[];
  /** True when more findings exist than were kept. */
  truncatedFindings: boolean;
}

export interface VerifyOptions {
  /** Positions per page (16,384 by default). */
  batchSize?: number;
  /**
   * Hashing threads; by default none below 150,000 events or on fewer than 4 cores (measured on 2:
   * the thread that reads the pages and the hashing threads compete, and one thread is faster),
   * else one per core but the reader's (at most 4).
   */
  workers?: number;
  maxFindings?: number;
  onProgress?: (done: number, total: number) => void;
  /** Each page as it is taken: whole (nothing wrong: its subtrees at once) or position by position. */
  onPage?: (page: { start: number; stop: number; whole: boolean }) => void;
  /** Awaited after each page: the background verifier paces itself there (a share of one core). */
  pace?: () => Promise<void>;
}

type Row = {
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
 * Below this many events the log is hashed on the calling thread: a hashing thread costs about
 * 0.3 s of CPU to start (tsx and the modules), which a smaller log does not pay back.
 */
const WORKERS_FROM = 150_000;
const DEFAULT_PAGE = 16_384;

/** One page on its way: its positions and, if it could be read whole, the hashing under way. */
interface InFlight {
  start: number;
  stop: number;
  result?: Promise<PageResult>;
}

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

/**
 * `rempart ledger verify`: recompute every leaf from the stored events and the tree from the
 * leaves, compare with every signed checkpoint on the way, and name the first event that was
 * modified, deleted, inserted or reordered. The stored leaf hashes tell which event moved where
 * as long as they themselves still match the signed roots; when they were rewritten too, the
 * signed checkpoints still bound where the first change lies.
 *
 * Pages of positions are read by range of `seq` (keyset, never OFFSET) and hashed on worker
 * threads (for a log of 150,000 events or more, or `workers`), while the next pages are read.
 * A page where every event is where the tree says, unchanged, is taken whole (its subtrees);
 * any other page is gone through position by position, to classify what is wrong.
 */
export async function verifyLedger(db: Executor, ledger: Ledger, options: VerifyOptions = {}): Promise<VerifyReport> {
  const batch = options.batchSize ?? DEFAULT_PAGE;
  const maxFindings = options.maxFindings ?? 20;
  const findings: Finding[] = [];
  let truncatedFindings = false;
  const note = (finding: Finding) => {
    if (findings.length < maxFindings) findings.push(finding);
    else truncatedFindings = true;
  };

  const state = await db
    .selectFrom('ledger_state')
    .select(['size', 'pruned_below'])
    .where('id', '=', 1)
    .executeTakeFirstOrThrow();
  const size = Number(state.size);
  const prunedBelow = Number(state.pruned_below);

  // Checkpoints: each must carry this log's signature over what the table says.
  const trusted: Array<{ size: number; root: Buffer; at: string }> = [];
  const rows = await db.selectFrom('ledger_checkpoints').selectAll().orderBy('size', 'asc').execute();
  for (const row of rows) {
    try {
      const opened = ledger.openCheckpoint(row.note);
      if (opened.size !== BigInt(row.size) || !opened.root.equals(Buffer.from(row.root)))
        throw new Error('la note signée ne dit pas la même taille ou la même racine que la table');
      trusted.push({ size: Number(row.size), root: opened.root, at: row.at });
    } catch (error) {
      note({
        kind: 'checkpoint',
        message: `point de contrôle à la taille ${row.size} rejeté : ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  }
  const last = trusted.at(-1);
  const signedSize = last?.size ?? 0;
  if (size < signedSize)
    note({
      kind: 'truncated',
      index: size,
      message: `journal tronqué : l'arbre compte ${size} événements, le dernier point de contrôle signé en atteste ${signedSize}`,
    });

  const end = Math.max(size, signedSize);
  // The sizes at which checkpoints are compared, in order (they are reached one after the other
  // as the positions go by; one that can never be reached stops the ones after it).
  const cutSizes: number[] = [];
  for (const checkpoint of trusted) {
    if (checkpoint.size < 1) break;
    cutSizes.push(checkpoint.size);
  }
  const storedRange = new NodeRange();
  const eventRange = new NodeRange();
  let nextCheckpoint = 0;
  let storedTreeFaulty = false;
  let lastGoodSize = 0;
  let eventsChecked = 0;
  let deletedRun: { from: number; eventId?: string } | undefined;
  /** +1 after an insertion that pushed the later events up, −1 after a deletion that pulled them down. */
  let shift = 0;

  /** The checkpoints signed at `reached` events, compared with both trees as they stand. */
  const compareCheckpoints = (reached: number) => {
    while (nextCheckpoint < trusted.length && trusted[nextCheckpoint]!.size === reached) {
      const checkpoint = trusted[nextCheckpoint]!;
      if (!storedTreeFaulty && !storedRange.root().equals(checkpoint.root)) {
        storedTreeFaulty = true;
        note({
          kind: 'tree',
          message: `les empreintes stockées de l'arbre ne reproduisent pas la racine signée à la taille ${checkpoint.size} : elles ont été réécrites`,
        });
      }
      if (eventRange.root().equals(checkpoint.root)) lastGoodSize = checkpoint.size;
      else if (!findings.some((f) => f.kind === 'checkpoint' && f.index !== undefined)) {
        note({
          kind: 'checkpoint',
          index: lastGoodSize,
          message: `les événements ne reproduisent pas la racine signée à la taille ${checkpoint.size} : le premier changement est entre les positions ${lastGoodSize} et ${checkpoint.size - 1}`,
        });
      }
      nextCheckpoint += 1;
    }
  };

  /** Read page [start, stop) whole and hand it to a hashing thread, if it can be read so. */
  const dispatch = async (hasher: PageHasher, start: number, stop: number): Promise<InFlight> => {
    const leaves = await readLeaves(db, ledger.flavour, start, stop);
    if (!leaves) return { start, stop };
    const from = Math.max(start, prunedBelow);
    const events = from < stop ? await readEvents(db, ledger.flavour, from, stop) : { text: '', lengths: '' };
    if (!events) return { start, stop };
    const job: PageJob = {
      start,
      stop,
      from: Math.min(from, stop),
      cuts: cutSizes.filter((c) => c > start && c <= stop),
      leaves,
      ...events,
    };
    const result = hasher.hash(job);
    // Awaited in turn; should an earlier page fail first, this one's failure is not left unhandled.
    result.catch(() => undefined);
    return { start, stop, result };
  };

  /** A page with nothing wrong: its subtrees go into both trees at once, the checkpoints at their cuts. */
  const takeClean = (page: { start: number; stop: number }, result: PageResult) => {
    eventsChecked += Math.max(0, page.stop - Math.max(page.start, prunedBelow));
    let node = 0;
    const ends = [...cutSizes.filter((c) => c > page.start && c <= page.stop), page.stop];
    for (const [segment, reached] of ends.entries()) {
      for (let k = 0; k < result.segments![segment]!; k++, node++) {
        const hash = Buffer.from(result.nodes!.buffer, result.nodes!.byteOffset + node * HASH_BYTES, HASH_BYTES);
        storedRange.push(result.heights![node]!, hash);
        eventRange.push(result.heights![node]!, hash);
      }
      compareCheckpoints(reached);
    }
  };

  /** A page with something wrong (or unusual): read row by row, position by position, every difference classified. */
  const takeDirty = async (start: number, stop: number) => {
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
    const bySeq = new Map<number, Array<{ row: Row; computed?: Buffer; agree: boolean }>>();
    for (const row of await db
      .selectFrom('ledger_events')
      .selectAll()
      .where('seq', '>=', start)
      .where('seq', '<', stop + 2)
      .orderBy('seq')
      .execute()) {
      const seq = Number(row.seq);
      // Pruned positions are taken on their stored leaves: their rows, if any, are not looked at.
      if (seq < prunedBelow) continue;
      const computed = Buffer.alloc(HASH_BYTES);
      const status = checkStoredEvent(row.body, row, computed, 0);
      const list = bySeq.get(seq) ?? [];
      list.push({ row, ...(status === EVENT_UNREADABLE ? {} : { computed }), agree: status === EVENT_OK });
      bySeq.set(seq, list);
    }
    // Where each stored leaf hash sits, to tell a moved event from a changed one.
    const positionOf = new Map<string, number>();
    for (const [idx, hash] of leaves) positionOf.set(hash.toString('hex'), idx);
    const hashAt = (p: number) => {
      const list = bySeq.get(p);
      return list?.length === 1 ? list[0]!.computed : undefined;
    };

    for (let p = start; p < stop; p++) {
      const stored = leaves.get(p);
      if (stored) storedRange.push(0, stored);
      else {
        note({ kind: 'tree', index: p, message: `l'empreinte stockée de l'événement n° ${p} a disparu de l'arbre` });
        storedRange.push(0, Buffer.alloc(32));
      }

      let eventLeaf: Buffer;
      if (p < prunedBelow) {
        eventLeaf = stored ?? Buffer.alloc(32);
      } else {
        const list = bySeq.get(p) ?? [];
        if (list.length === 0) {
          deletedRun ??= { from: p };
          eventLeaf = Buffer.alloc(32);
        } else {
          if (deletedRun) {
            note({
              kind: 'deleted',
              index: deletedRun.from,
              message: `événement n° ${deletedRun.from}${p - deletedRun.from > 1 ? ` à ${p - 1}` : ''} supprimé${p - deletedRun.from > 1 ? 's' : ''} : absent du journal, présent dans l'arbre`,
            });
            deletedRun = undefined;
          }
          eventsChecked += list.length;
          if (list.length > 1) {
            const intruder = list.find((h) => !stored || !h.computed?.equals(stored)) ?? list[1]!;
            note({
              kind: 'inserted',
              index: p,
              eventId: intruder.row.id,
              message: `événement inséré à la position ${p} (${intruder.row.id}) : deux événements y prétendent`,
            });
            eventLeaf = Buffer.alloc(32);
          } else {
            const { row, computed, agree } = list[0]!;
            eventLeaf = computed ?? Buffer.alloc(32);
            if (computed && stored && computed.equals(stored)) {
              if (!agree)
                note({
                  kind: 'modified',
                  index: p,
                  eventId: row.id,
                  message: `événement n° ${p} (${row.id}) modifié : ses colonnes de recherche ne disent plus ce que dit l'événement signé`,
                });
            } else if (!computed) {
              note({
                kind: 'modified',
                index: p,
                eventId: row.id,
                message: `événement n° ${p} (${row.id}) modifié : ce n'est plus un événement lisible`,
              });
            } else {
              const signedAt = positionOf.get(computed.toString('hex'));
              if (shift !== 0 && signedAt === p - shift) {
                // A consequence of the insertion or deletion already reported: every later event moved by one.
              } else if (signedAt === undefined && stored && hashAt(p + 1)?.equals(stored)) {
                // An event the tree never saw, and the one signed here now sits one place further.
                note({
                  kind: 'inserted',
                  index: p,
                  eventId: row.id,
                  message: `événement inséré à la position ${p} (${row.id}) : les suivants ont été décalés d'un rang`,
                });
                shift = 1;
              } else if (signedAt === p + 1 && !(stored && hashAt(p + 1)?.equals(stored))) {
                note({
                  kind: 'deleted',
                  index: p,
                  message: `événement n° ${p} supprimé : les suivants ont été renumérotés pour combler le vide`,
                });
                shift = -1;
              } else if (signedAt !== undefined) {
                note({
                  kind: 'reordered',
                  index: p,
                  eventId: row.id,
                  message: `ordre modifié : l'événement en position ${p} (${row.id}) a été signé en position ${signedAt}`,
                });
              } else {
                note({
                  kind: 'modified',
                  index: p,
                  eventId: row.id,
                  message: `événement n° ${p} (${row.id}) modifié : son contenu ne correspond plus à l'empreinte signée`,
                });
              }
            }
          }
        }
      }
      eventRange.push(0, eventLeaf);
      compareCheckpoints(p + 1);
    }
  };

  const cores = availableParallelism();
  const threads = options.workers ?? (end >= WORKERS_FROM && cores >= 4 ? Math.min(4, cores - 1) : 0);
  const hasher = threads > 0 ? workerHasher(threads) : inlineHasher();
  try {
    // Up to one page per thread being hashed, plus the one being read. Reads are not awaited one
    // by one: on PostgreSQL the next pages are aggregated by the server (on other connections of
    // the pool) while this one is hashed; SQLite's one connection takes them in turn.
    // Paced (the background verifier), one page at a time: a page read ahead would be read and hashed during the pause.
    const depth = options.pace ? 1 : Math.max(1, threads) + 1;
    const inFlight: Array<Promise<InFlight>> = [];
    let next = 0;
    while (next < end || inFlight.length > 0) {
      while (next < end && inFlight.length < depth) {
        const stop = Math.min(end, next + batch);
        const page = dispatch(hasher, next, stop);
        // Awaited in turn; should an earlier page fail first, this one's failure is not left unhandled.
        page.catch(() => undefined);
        inFlight.push(page);
        next = stop;
      }
      const page = await inFlight.shift()!;
      const result = page.result ? await page.result : undefined;
      const whole = result?.clean === true && !deletedRun;
      if (whole) takeClean(page, result);
      else await takeDirty(page.start, page.stop);
      options.onPage?.({ start: page.start, stop: page.stop, whole });
      options.onProgress?.(page.stop, end);
      if (options.pace) await options.pace();
    }
  } finally {
    await hasher.close();
  }
  // After a deletion that renumbered the rest, the last position is empty: that is the same deletion.
  if (deletedRun && !(shift === -1 && deletedRun.from === end - 1)) {
    note({
      kind: 'truncated',
      index: deletedRun.from,
      message: `journal tronqué : les événements n° ${deletedRun.from} à ${end - 1} manquent`,
    });
  }

  // A server integrates while it is verified: positions numbered since the start (the state says so, in the same
  // transaction as their seq) are not "beyond the tree".
  const sizeNow = Number(
    (await db.selectFrom('ledger_state').select('size').where('id', '=', 1).executeTakeFirstOrThrow()).size,
  );
  const beyond = await db
    .selectFrom('ledger_events')
    .select(['id', 'seq'])
    .where('seq', '>=', Math.max(end, sizeNow))
    .orderBy('seq')
    .limit(1)
    .executeTakeFirst();
  if (beyond)
    note({
      kind: 'inserted',
      index: Number(beyond.seq),
      eventId: beyond.id,
      message: `événement inséré (${beyond.id}) à la position ${beyond.seq}, au-delà de la taille de l'arbre (${end})`,
    });

  const pending = Number(
    (
      await db
        .selectFrom('ledger_events')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('seq', 'is', null)
        .executeTakeFirstOrThrow()
    ).n,
  );
  // The first finding by position is the headline: sort those that have one, keep the others after.
  const rank = (f: Finding) => (f.kind === 'tree' || f.kind === 'checkpoint' ? 1 : 0);
  findings.sort(
    (a, b) => rank(a) - rank(b) || (a.index ?? Number.MAX_SAFE_INTEGER) - (b.index ?? Number.MAX_SAFE_INTEGER),
  );
  return {
    ok: findings.length === 0,
    ...(last ? { checkpoint: { size: last.size, at: last.at } } : {}),
    checkpointsChecked: trusted.length,
    eventsChecked,
    pruned: Math.min(prunedBelow, end),
    pending,
    unsigned: Math.max(0, size - signedSize),
    findings,
    truncatedFindings,
  };
}
