import type { Executor } from '../store/index.ts';
import { HASH_BYTES } from './merkle.ts';
import { checkStoredEvent, EVENT_OK, EVENT_UNREADABLE } from './stored-leaf.ts';
import type { RebuiltTrees } from './verify-checkpoints.ts';
import type { Findings } from './verify-findings.ts';
import { readPageRows, type EventRow } from './verify-read.ts';

/** An event claiming a position: its recomputed leaf (none when unreadable), and whether its lookup columns agree. */
interface Claim {
  row: EventRow;
  computed?: Buffer;
  agree: boolean;
}

/** A page read row by row: the stored leaf of each position, the events claiming it, and where each stored leaf sits. */
interface PageRows {
  leaves: Map<number, Buffer>;
  bySeq: Map<number, Claim[]>;
  positionOf: Map<string, number>;
}

/**
 * The pages with something wrong (or unusual), gone through position by position so that every
 * difference is classified: modified, deleted, inserted or reordered. What a page leaves open
 * (a run of deleted positions, a shift of the later events by one) carries over to the next.
 */
export class PositionWalk {
  readonly #db: Executor;
  readonly #prunedBelow: number;
  readonly #trees: RebuiltTrees;
  readonly #findings: Findings;
  #deletedRun: { from: number } | undefined;
  /** +1 after an insertion that pushed the later events up, −1 after a deletion that pulled them down. */
  #shift = 0;

  constructor(db: Executor, prunedBelow: number, trees: RebuiltTrees, findings: Findings) {
    this.#db = db;
    this.#prunedBelow = prunedBelow;
    this.#trees = trees;
    this.#findings = findings;
  }

  /** A run of deleted positions is open: the next page cannot be taken whole. */
  get deleting(): boolean {
    return this.#deletedRun !== undefined;
  }

  /** Page [start, stop), pushed into both trees; returns the number of events checked. */
  async take(start: number, stop: number): Promise<number> {
    const rows = await this.#read(start, stop);
    let checked = 0;
    for (let p = start; p < stop; p++) {
      const stored = rows.leaves.get(p);
      if (stored) this.#trees.stored.push(0, stored);
      else {
        this.#findings.note({
          kind: 'tree',
          index: p,
          message: `l'empreinte stockée de l'événement n° ${p} a disparu de l'arbre`,
        });
        this.#trees.stored.push(0, Buffer.alloc(32));
      }
      let eventLeaf: Buffer;
      if (p < this.#prunedBelow) eventLeaf = stored ?? Buffer.alloc(32);
      else {
        const claims = rows.bySeq.get(p) ?? [];
        checked += claims.length;
        eventLeaf = this.#eventLeaf(p, stored, claims, rows);
      }
      this.#trees.events.push(0, eventLeaf);
      this.#trees.reach(p + 1);
    }
    return checked;
  }

  /** At the end of the log: an open run of deleted positions is a truncation, unless it is a renumbering's empty last place. */
  finish(end: number): void {
    if (this.#deletedRun && !(this.#shift === -1 && this.#deletedRun.from === end - 1)) {
      this.#findings.note({
        kind: 'truncated',
        index: this.#deletedRun.from,
        message: `journal tronqué : les événements n° ${this.#deletedRun.from} à ${end - 1} manquent`,
      });
    }
  }

  async #read(start: number, stop: number): Promise<PageRows> {
    const { leaves, events } = await readPageRows(this.#db, start, stop);
    const bySeq = new Map<number, Claim[]>();
    for (const row of events) {
      const seq = Number(row.seq);
      // Pruned positions are taken on their stored leaves: their rows, if any, are not looked at.
      if (seq < this.#prunedBelow) continue;
      const computed = Buffer.alloc(HASH_BYTES);
      const status = checkStoredEvent(row.body, row, computed, 0);
      const claims = bySeq.get(seq) ?? [];
      claims.push({ row, ...(status === EVENT_UNREADABLE ? {} : { computed }), agree: status === EVENT_OK });
      bySeq.set(seq, claims);
    }
    // Where each stored leaf hash sits, to tell a moved event from a changed one.
    const positionOf = new Map<string, number>();
    for (const [idx, hash] of leaves) positionOf.set(hash.toString('hex'), idx);
    return { leaves, bySeq, positionOf };
  }

  /** The leaf the events put at position p (zeros where none can stand), every difference with the stored one noted. */
  #eventLeaf(p: number, stored: Buffer | undefined, claims: readonly Claim[], rows: PageRows): Buffer {
    if (claims.length === 0) {
      this.#deletedRun ??= { from: p };
      return Buffer.alloc(32);
    }
    if (this.#deletedRun) {
      const { from } = this.#deletedRun;
      this.#findings.note({
        kind: 'deleted',
        index: from,
        message: `événement n° ${from}${p - from > 1 ? ` à ${p - 1}` : ''} supprimé${p - from > 1 ? 's' : ''} : absent du journal, présent dans l'arbre`,
      });
      this.#deletedRun = undefined;
    }
    if (claims.length > 1) {
      const intruder = claims.find((h) => !stored || !h.computed?.equals(stored)) ?? claims[1]!;
      this.#findings.note({
        kind: 'inserted',
        index: p,
        eventId: intruder.row.id,
        message: `événement inséré à la position ${p} (${intruder.row.id}) : deux événements y prétendent`,
      });
      return Buffer.alloc(32);
    }
    const claim = claims[0]!;
    this.#classify(p, stored, claim, rows);
    return claim.computed ?? Buffer.alloc(32);
  }

  /** The one event at position p, against the stored leaf there and where its own leaf was signed. */
  #classify(p: number, stored: Buffer | undefined, { row, computed, agree }: Claim, rows: PageRows): void {
    const note = this.#findings.note.bind(this.#findings);
    if (computed && stored && computed.equals(stored)) {
      if (!agree)
        note({
          kind: 'modified',
          index: p,
          eventId: row.id,
          message: `événement n° ${p} (${row.id}) modifié : ses colonnes de recherche ne disent plus ce que dit l'événement signé`,
        });
      return;
    }
    if (!computed) {
      note({
        kind: 'modified',
        index: p,
        eventId: row.id,
        message: `événement n° ${p} (${row.id}) modifié : ce n'est plus un événement lisible`,
      });
      return;
    }
    const signedAt = rows.positionOf.get(computed.toString('hex'));
    const next = rows.bySeq.get(p + 1);
    const nextLeaf = next?.length === 1 ? next[0]!.computed : undefined;
    if (this.#shift !== 0 && signedAt === p - this.#shift) {
      // A consequence of the insertion or deletion already reported: every later event moved by one.
    } else if (signedAt === undefined && stored && nextLeaf?.equals(stored)) {
      // An event the tree never saw, and the one signed here now sits one place further.
      note({
        kind: 'inserted',
        index: p,
        eventId: row.id,
        message: `événement inséré à la position ${p} (${row.id}) : les suivants ont été décalés d'un rang`,
      });
      this.#shift = 1;
    } else if (signedAt === p + 1 && !(stored && nextLeaf?.equals(stored))) {
      note({
        kind: 'deleted',
        index: p,
        message: `événement n° ${p} supprimé : les suivants ont été renumérotés pour combler le vide`,
      });
      this.#shift = -1;
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
