import type { Executor } from '../store/index.ts';
import type { Ledger } from './log.ts';
import { HASH_BYTES } from './merkle.ts';
import { cutSizesOf, RebuiltTrees, trustedCheckpoints } from './verify-checkpoints.ts';
import { Findings, type Finding } from './verify-findings.ts';
import type { PageResult } from './verify-page.ts';
import { hashedPages, type HashedPage } from './verify-hashing.ts';
import { PositionWalk } from './verify-positions.ts';

export type { Finding, FindingKind } from './verify-findings.ts';

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

const DEFAULT_PAGE = 16_384;

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
  const findings = new Findings(options.maxFindings ?? 20);
  const state = await db
    .selectFrom('ledger_state')
    .select(['size', 'pruned_below'])
    .where('id', '=', 1)
    .executeTakeFirstOrThrow();
  const size = Number(state.size);
  const prunedBelow = Number(state.pruned_below);

  const trusted = await trustedCheckpoints(db, ledger, findings);
  const last = trusted.at(-1);
  const signedSize = last?.size ?? 0;
  if (size < signedSize)
    findings.note({
      kind: 'truncated',
      index: size,
      message: `journal tronqué : l'arbre compte ${size} événements, le dernier point de contrôle signé en atteste ${signedSize}`,
    });

  const end = Math.max(size, signedSize);
  const cutSizes = cutSizesOf(trusted);
  const trees = new RebuiltTrees(trusted, findings);
  const walk = new PositionWalk(db, prunedBelow, trees, findings);
  let eventsChecked = 0;
  const pages = hashedPages(db, ledger.flavour, {
    end,
    batch: options.batchSize ?? DEFAULT_PAGE,
    prunedBelow,
    cutSizes,
    ...(options.workers === undefined ? {} : { workers: options.workers }),
    paced: options.pace !== undefined,
  });
  for await (const page of pages) {
    const whole = page.result?.clean === true && !walk.deleting;
    if (whole) eventsChecked += takeWhole(page, page.result!, prunedBelow, cutSizes, trees);
    else eventsChecked += await walk.take(page.start, page.stop);
    await reportProgress(options, page, whole, end);
  }
  walk.finish(end);
  await noteBeyondTheTree(db, end, findings);
  const pending = await countPending(db);

  const sorted = findings.sorted();
  return {
    ok: sorted.length === 0,
    ...(last ? { checkpoint: { size: last.size, at: last.at } } : {}),
    checkpointsChecked: trusted.length,
    eventsChecked,
    pruned: Math.min(prunedBelow, end),
    pending,
    unsigned: Math.max(0, size - signedSize),
    findings: sorted,
    truncatedFindings: findings.truncated,
  };
}

/** A page with nothing wrong: its subtrees go into both trees at once, the checkpoints compared at its cuts. Returns the events checked. */
function takeWhole(
  page: HashedPage,
  result: PageResult,
  prunedBelow: number,
  cutSizes: readonly number[],
  trees: RebuiltTrees,
): number {
  let node = 0;
  const ends = [...cutSizes.filter((c) => c > page.start && c <= page.stop), page.stop];
  for (const [segment, reached] of ends.entries()) {
    for (let k = 0; k < result.segments![segment]!; k++, node++) {
      const hash = Buffer.from(result.nodes!.buffer, result.nodes!.byteOffset + node * HASH_BYTES, HASH_BYTES);
      trees.stored.push(result.heights![node]!, hash);
      trees.events.push(result.heights![node]!, hash);
    }
    trees.reach(reached);
  }
  return Math.max(0, page.stop - Math.max(page.start, prunedBelow));
}

/** Each page as it is taken, the progress, then the pause the background verifier asks for. */
async function reportProgress(options: VerifyOptions, page: HashedPage, whole: boolean, end: number): Promise<void> {
  options.onPage?.({ start: page.start, stop: page.stop, whole });
  options.onProgress?.(page.stop, end);
  if (options.pace) await options.pace();
}

/**
 * An event numbered beyond the tree. A server integrates while it is verified: positions numbered
 * since the start (the state says so, in the same transaction as their seq) are not beyond it.
 */
async function noteBeyondTheTree(db: Executor, end: number, findings: Findings): Promise<void> {
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
    findings.note({
      kind: 'inserted',
      index: Number(beyond.seq),
      eventId: beyond.id,
      message: `événement inséré (${beyond.id}) à la position ${beyond.seq}, au-delà de la taille de l'arbre (${end})`,
    });
}

/** Events recorded but not yet in the tree. */
async function countPending(db: Executor): Promise<number> {
  return Number(
    (
      await db
        .selectFrom('ledger_events')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('seq', 'is', null)
        .executeTakeFirstOrThrow()
    ).n,
  );
}
