import type { Executor, Flavour } from '../store/index.ts';
import { formatCheckpoint, parseCheckpoint, type Checkpoint } from './checkpoint.ts';
import { appendLeaves, assignSeq, leafHashesOf, newestPending, selectPending, type PendingBound } from './integration.ts';
import { verifyConsistency } from './merkle.ts';
import { openNote, parseVerifierKey, signNote, verifierKeyOf, type NoteSigner, type NoteVerifier } from './note.ts';
import { ensureCurrentLedgerPartitions } from './retention.ts';
import { lockLedgerState } from './state.ts';
import { StoredTree } from './stored-tree.ts';

/** The log found itself in a state it must not sign or serve: tampering, or a bug; either way, a human looks. */
export class LedgerIntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LedgerIntegrityError';
  }
}

export interface SignedCheckpoint extends Checkpoint {
  /** The signed note, as a witness stores it. */
  note: string;
  at: string;
}

const INTEGRATION_BATCH = 5_000;

export interface IntegrateOptions {
  /** Stop after this many batches even if more is pending (the schedule's tick); unbounded by default. */
  maxBatches?: number;
  /** Events per batch (one transaction each); 5,000 by default. */
  batchSize?: number;
  onProgress?: (integrated: number) => void;
}

export interface CheckpointOptions {
  /** Sign only if the newest checkpoint is at least this old (the fleet's schedule); by default, whenever the tree grew. */
  minIntervalMs?: number;
  /** Integrate what is pending first (default); the schedule integrates on its own, in bounded ticks. */
  integrate?: boolean;
}

/**
 * The ledger as a transparency log: events recorded by `appendEvent` are integrated into the
 * Merkle tree in batches (each gets its leaf index, `seq`), and checkpoints of the tree are
 * signed with the agency's Ed25519 key. Integration and signing take the ledger_state row
 * lock, so several server processes on one PostgreSQL never interleave them.
 */
export class Ledger {
  readonly #db: Executor;
  readonly #signer: NoteSigner;
  readonly origin: string;
  readonly verifier: NoteVerifier;
  readonly flavour: Flavour;

  private constructor(db: Executor, flavour: Flavour, signer: NoteSigner, origin: string) {
    this.#db = db;
    this.flavour = flavour;
    this.#signer = signer;
    this.origin = origin;
    this.verifier = parseVerifierKey(verifierKeyOf(signer));
  }

  /**
   * Open the log; the origin is fixed the first time and kept, so checkpoints stay comparable
   * if the public address changes later. The signer's name must be that origin.
   */
  static async open(db: Executor, flavour: Flavour, makeSigner: (origin: string) => NoteSigner, proposedOrigin: string): Promise<Ledger> {
    await db.insertInto('ledger_state').values({ id: 1, origin: proposedOrigin, size: 0, pruned_below: 0 }).onConflict((oc) => oc.column('id').doNothing()).execute();
    const state = await db.selectFrom('ledger_state').select('origin').where('id', '=', 1).executeTakeFirstOrThrow();
    await ensureCurrentLedgerPartitions(db, flavour);
    return new Ledger(db, flavour, makeSigner(state.origin), state.origin);
  }

  /** `<name>+<key id>+<base64 key>`: what a witness configures to check this log's checkpoints. */
  get verifierKey(): string {
    return verifierKeyOf(this.#signer);
  }

  async size(): Promise<number> {
    return Number((await this.#db.selectFrom('ledger_state').select('size').where('id', '=', 1).executeTakeFirstOrThrow()).size);
  }

  /**
   * Integrate up to one batch of recorded events into the tree; returns how many. With a bound,
   * only events at or before it in the order (at, id) are taken.
   */
  async integrateBatch(limit = INTEGRATION_BATCH, bound?: PendingBound): Promise<number> {
    return this.#db.transaction().execute(async (trx) => {
      const size = (await lockLedgerState(trx)).size;
      const pending = await selectPending(trx, this.flavour, limit, bound);
      if (pending.length === 0) return 0;
      const treeSize = await new StoredTree(trx).size();
      if (treeSize !== size) throw new LedgerIntegrityError(`the tree holds ${treeSize} leaves but the log says ${size}`);
      const newSize = await appendLeaves(trx, this.flavour, size, leafHashesOf(pending));
      await assignSeq(trx, this.flavour, pending, size);
      await trx.updateTable('ledger_state').set({ size: newSize }).where('id', '=', 1).execute();
      return pending.length;
    });
  }

  /** PostgreSQL: this month's and next month's partitions exist (run at open and by the schedule). */
  ensurePartitions(now: Date = new Date()): Promise<void> {
    return ensureCurrentLedgerPartitions(this.#db, this.flavour, now);
  }

  /**
   * Integrate what is pending now: every event recorded before the call, in batches, but not
   * those recorded meanwhile (they wait for the next call), so that it ends under a steady
   * stream of appends. `maxBatches` bounds it further (the schedule's tick); `onProgress` hears
   * the running count. Returns how many were integrated.
   */
  async integrate(options: IntegrateOptions | ((integrated: number) => void) = {}): Promise<number> {
    const { maxBatches = Number.POSITIVE_INFINITY, batchSize = INTEGRATION_BATCH, onProgress } = typeof options === 'function' ? { onProgress: options } : options;
    const bound = await newestPending(this.#db, this.flavour);
    if (!bound) return 0;
    let total = 0;
    for (let batches = 0; batches < maxBatches; batches++) {
      const n = await this.integrateBatch(batchSize, bound);
      total += n;
      if (n > 0) onProgress?.(total);
      if (n < batchSize) break;
    }
    return total;
  }

  /** The newest signed checkpoint, or undefined before the first. */
  async latestCheckpoint(executor: Executor = this.#db): Promise<SignedCheckpoint | undefined> {
    const row = await executor.selectFrom('ledger_checkpoints').selectAll().orderBy('size', 'desc').limit(1).executeTakeFirst();
    return row ? this.#checkpointOf(row) : undefined;
  }

  async checkpoints(options: { fromSize?: number; limit?: number } = {}): Promise<SignedCheckpoint[]> {
    const rows = await this.#db
      .selectFrom('ledger_checkpoints')
      .selectAll()
      .where('size', '>=', options.fromSize ?? 0)
      .orderBy('size', 'asc')
      .limit(options.limit ?? 1000)
      .execute();
    return rows.map((row) => this.#checkpointOf(row));
  }

  #checkpointOf(row: { size: number; root: Buffer; note: string; at: string }): SignedCheckpoint {
    return { origin: this.origin, size: BigInt(row.size), root: Buffer.from(row.root), note: row.note, at: row.at };
  }

  /**
   * Integrate what is pending and sign a checkpoint of the whole tree, unless the newest one
   * already covers it. Before signing, the new tree must prove itself an extension of the last
   * signed one: the log never signs two checkpoints that disagree about the past.
   *
   * Called as is (the CLI, the desk's « signer maintenant », a journal page, tests) it signs
   * whenever the tree grew. The schedule passes `minIntervalMs`: then, under the ledger_state
   * row lock, nothing is signed while the newest checkpoint is younger than that — as Tessera's
   * `published_at` — so N server processes ticking together sign one checkpoint per interval,
   * not N. (A checkpoint dated further than the interval from `now`, in either direction — a
   * simulated clock — does not hold signing back.)
   */
  async checkpoint(now: Date = new Date(), options: CheckpointOptions = {}): Promise<SignedCheckpoint | undefined> {
    const { minIntervalMs, integrate = true } = options;
    const fresh = (last: SignedCheckpoint | undefined) => minIntervalMs !== undefined && last !== undefined && Math.abs(now.getTime() - Date.parse(last.at)) < minIntervalMs;
    // Without the lock first: most ticks of a fleet end here (signed lately, or nothing new), without queueing for the row.
    if (minIntervalMs !== undefined) {
      const last = await this.latestCheckpoint();
      if (fresh(last)) return last;
      if (!integrate) {
        const size = await this.size();
        if (size === 0 || (last && Number(last.size) === size)) return last;
      }
    }
    if (integrate) await this.integrate();
    return this.#db.transaction().execute(async (trx) => {
      const size = (await lockLedgerState(trx)).size;
      const last = await this.latestCheckpoint(trx);
      if (size === 0 || (last && Number(last.size) === size) || fresh(last)) return last;
      const tree = new StoredTree(trx);
      const root = await tree.root(size);
      if (last) {
        const from = Number(last.size);
        if (from > size) throw new LedgerIntegrityError(`refusing to sign: the tree holds ${size} events, fewer than the ${from} of the last checkpoint`);
        const proof = await tree.consistencyProof(from, size);
        if (!verifyConsistency(last.size, BigInt(size), proof, last.root, root)) {
          throw new LedgerIntegrityError(`refusing to sign: the tree of ${size} events is not an extension of the checkpoint signed at ${from} (stored hashes altered?)`);
        }
      }
      const note = signNote(formatCheckpoint({ origin: this.origin, size: BigInt(size), root }), this.#signer);
      const at = now.toISOString();
      await trx.insertInto('ledger_checkpoints').values({ size, root, note, at }).execute();
      return { origin: this.origin, size: BigInt(size), root, note, at };
    });
  }

  /** The audit path of event `seq` in the tree of `size` (which must be signed or at most the current size). */
  async inclusionProof(seq: number, size: number): Promise<Buffer[]> {
    return (await this.inclusionProofs([seq], size))[0]!;
  }

  /** Audit paths of several events in one tree: the tree's size is checked once, not per proof. */
  async inclusionProofs(seqs: readonly number[], size: number): Promise<Buffer[][]> {
    const current = await this.size();
    if (size > current) throw new RangeError(`the tree holds ${current} events, not ${size}`);
    const tree = new StoredTree(this.#db);
    const proofs: Buffer[][] = [];
    for (const seq of seqs) {
      if (seq < 0 || seq >= size) throw new RangeError(`event ${seq} is not in a tree of ${size}`);
      proofs.push(await tree.inclusionProof(seq, size));
    }
    return proofs;
  }

  async consistencyProof(size1: number, size2: number): Promise<Buffer[]> {
    const current = await this.size();
    if (size2 > current) throw new RangeError(`the tree holds ${current} events, not ${size2}`);
    if (size1 <= 0 || size1 > size2) throw new RangeError(`a consistency proof goes from a non-empty size to a larger one (${size1} → ${size2})`);
    return new StoredTree(this.#db).consistencyProof(size1, size2);
  }

  async leafHashAt(seq: number): Promise<Buffer> {
    return new StoredTree(this.#db).subtree(0, seq);
  }

  /** Open a checkpoint note with this log's key: the checkpoint, or a NoteError / RangeError saying why not. */
  openCheckpoint(note: string): Checkpoint {
    const checkpoint = parseCheckpoint(openNote(note, [this.verifier]));
    if (checkpoint.origin !== this.origin) throw new LedgerIntegrityError(`checkpoint of another log ("${checkpoint.origin}", expected "${this.origin}")`);
    return checkpoint;
  }
}
