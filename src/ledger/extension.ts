import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Executor, Flavour } from '../store/index.ts';
import { frontierHashes } from './integration.ts';
import { HASH_BYTES } from './merkle.ts';
import { checkStoredEvent, EVENT_OK, EVENT_UNREADABLE } from './stored-leaf.ts';
import { hashPage, NodeRange } from './verify-page.ts';
import type { Finding } from './verify-findings.ts';
import { readEvents, readLeaves } from './verify-read.ts';

/**
 * The verified prefix of the log, extended as the tree grows (issue 20): the background
 * verifier's « incrementally, from the last verified position », and what signing builds on.
 *
 * A prefix starts at a signed checkpoint — its perfect subtrees read from the stored tree must
 * reproduce the signed root — and grows page by page: every event recomputed from its stored
 * body must be the stored leaf at its position, and every signed checkpoint met on the way must
 * be the root of what was recomputed. The range in memory is then built from verified leaves
 * only: a checkpoint signed over it commits to the events as they were checked, whatever the
 * stored tree says above its leaves (which signing compares with it).
 */

export interface SignedRoot {
  size: number;
  root: Buffer;
}

/** What stopped an extension: the first position found wrong, classified roughly (`ledger verify` says exactly). */
export type ExtensionFailure = Pick<Finding, 'kind' | 'index' | 'message' | 'eventId'>;

export interface ExtendOptions {
  /** Signed checkpoints beyond the prefix, ascending: each compared when the range reaches its size. */
  checkpoints: readonly SignedRoot[];
  /** Positions below this hold no body any more (retention): taken on their stored leaves. */
  prunedBelow: number;
  /** Stop at the first page boundary past this time (epoch ms); at least one page is always done. */
  deadline?: number;
  /** Positions per page (4,096 by default: a page costs the event loop a few milliseconds). */
  pageSize?: number;
}

/** The range reached; when something was found wrong, the failure (and the range is not to be kept). */
export interface Extension {
  range: NodeRange;
  failure?: ExtensionFailure;
}

const DEFAULT_PAGE = 4_096;

/** The range of the first `checkpoint.size` leaves from the stored tree, checked against the signed root. */
export async function anchorAt(db: Executor, checkpoint: SignedRoot | undefined): Promise<Extension> {
  const range = new NodeRange();
  if (!checkpoint || checkpoint.size === 0) return { range };
  const { frontier, found } = await frontierHashes(db, checkpoint.size);
  for (const f of frontier) {
    const hash = found.get(`${f.level}/${f.index}`);
    if (!hash || hash.length !== HASH_BYTES) {
      return {
        range: new NodeRange(),
        failure: {
          kind: 'tree',
          message: `l'arbre stocké n'a plus le sous-arbre ${f.level}/${f.index} sous le point de contrôle signé à la taille ${checkpoint.size} : il a été réécrit ou amputé`,
        },
      };
    }
    range.push(f.level, hash);
  }
  if (!range.root().equals(checkpoint.root)) {
    return {
      range: new NodeRange(),
      failure: {
        kind: 'tree',
        message: `les empreintes stockées de l'arbre ne reproduisent plus la racine signée à la taille ${checkpoint.size} : elles ont été réécrites`,
      },
    };
  }
  return { range };
}

/** Compare the range with the checkpoints signed at its current size. */
function compareAt(range: NodeRange, checkpoints: readonly SignedRoot[]): ExtensionFailure | undefined {
  for (const checkpoint of checkpoints) {
    if (checkpoint.size !== range.size || range.root().equals(checkpoint.root)) continue;
    return {
      kind: 'checkpoint',
      index: checkpoint.size,
      message: `les événements ne reproduisent pas la racine signée à la taille ${checkpoint.size} : le journal a été modifié avant la position ${checkpoint.size}`,
    };
  }
  return undefined;
}

/**
 * Extend `prefix` (left untouched) up to `to` positions, or less when the deadline passes:
 * the range reached, or the first thing found wrong.
 */
export async function extendRange(
  db: Executor,
  flavour: Flavour,
  prefix: NodeRange,
  to: number,
  options: ExtendOptions,
): Promise<Extension> {
  const range = prefix.clone();
  const pageSize = options.pageSize ?? DEFAULT_PAGE;
  const first = range.size;
  while (range.size < to) {
    if (options.deadline !== undefined && range.size > first && Date.now() >= options.deadline) break;
    const start = range.size;
    const stop = Math.min(to, start + pageSize);
    const cuts = options.checkpoints.filter((c) => c.size > start && c.size <= stop);
    const from = Math.max(start, options.prunedBelow);
    const leaves = await readLeaves(db, flavour, start, stop);
    const events = leaves && from < stop ? await readEvents(db, flavour, from, stop) : { text: '', lengths: '' };
    const result =
      leaves && events
        ? hashPage({ start, stop, from: Math.min(from, stop), cuts: cuts.map((c) => c.size), leaves, ...events })
        : undefined;
    if (result?.clean) {
      let node = 0;
      for (const segment of result.segments!) {
        for (let k = 0; k < segment; k++, node++)
          range.push(
            result.heights![node]!,
            Buffer.from(result.nodes!.subarray(node * HASH_BYTES, (node + 1) * HASH_BYTES)),
          );
        const failure = compareAt(range, cuts);
        if (failure) return { range, failure };
      }
    } else {
      const failure = await positionByPosition(db, range, stop, cuts, options.prunedBelow);
      if (failure) return { range, failure };
    }
    // Other requests run between pages.
    await nextTurn();
  }
  return { range };
}

/**
 * A page that could not be taken whole, one position at a time: its leaves pushed into `range`,
 * or the first position found wrong.
 */
async function positionByPosition(
  db: Executor,
  range: NodeRange,
  stop: number,
  cuts: readonly SignedRoot[],
  prunedBelow: number,
): Promise<ExtensionFailure | undefined> {
  const start = range.size;
  const leaves = new Map<number, Buffer>();
  for (const leaf of await db
    .selectFrom('ledger_nodes')
    .select(['idx', 'hash'])
    .where('level', '=', 0)
    .where('idx', '>=', start)
    .where('idx', '<', stop)
    .execute()) {
    leaves.set(Number(leaf.idx), Buffer.from(leaf.hash));
  }
  const bySeq = new Map<number, Array<Awaited<ReturnType<typeof rowsOf>>[number]>>();
  for (const row of await rowsOf(db, Math.max(start, prunedBelow), stop)) {
    const list = bySeq.get(Number(row.seq)) ?? [];
    list.push(row);
    bySeq.set(Number(row.seq), list);
  }
  for (let p = start; p < stop; p++) {
    const stored = leaves.get(p);
    if (!stored || stored.length !== HASH_BYTES)
      return {
        kind: 'tree',
        index: p,
        message: `l'empreinte stockée de l'événement n° ${p} a disparu de l'arbre ou n'en est plus une`,
      };
    let leaf = stored;
    if (p >= prunedBelow) {
      const list = bySeq.get(p) ?? [];
      if (list.length === 0)
        return {
          kind: 'deleted',
          index: p,
          message: `événement n° ${p} supprimé : absent du journal, présent dans l'arbre`,
        };
      if (list.length > 1)
        return {
          kind: 'inserted',
          index: p,
          eventId: list[1]!.id,
          message: `événement inséré à la position ${p} : ${list.length} événements y prétendent`,
        };
      const row = list[0]!;
      const computed = Buffer.alloc(HASH_BYTES);
      const status = checkStoredEvent(row.body, row, computed, 0);
      if (status === EVENT_UNREADABLE)
        return {
          kind: 'modified',
          index: p,
          eventId: row.id,
          message: `événement n° ${p} (${row.id}) modifié : ce n'est plus un événement lisible`,
        };
      if (!computed.equals(stored)) {
        return {
          kind: 'modified',
          index: p,
          eventId: row.id,
          message: `événement n° ${p} (${row.id}) modifié, déplacé ou empreinte réécrite : il ne correspond plus à l'empreinte de l'arbre à cette position`,
        };
      }
      if (status !== EVENT_OK)
        return {
          kind: 'modified',
          index: p,
          eventId: row.id,
          message: `événement n° ${p} (${row.id}) modifié : ses colonnes de recherche ne disent plus ce que dit l'événement signé`,
        };
      leaf = computed;
    }
    range.push(0, leaf);
    const failure = compareAt(range, cuts);
    if (failure) return failure;
  }
  return undefined;
}

function rowsOf(db: Executor, from: number, stop: number) {
  return db
    .selectFrom('ledger_events')
    .selectAll()
    .where('seq', '>=', from)
    .where('seq', '<', stop)
    .orderBy('seq')
    .execute();
}
